//! A device under test, as the core sees it: one bundle of facts and code that the core
//! never looks inside. The core (simulation, OS model, generic rules, the runner, explore,
//! bench, reports, the CLI) names no device; a device brings its profile (the facts the
//! rules need), its scenarios (how a run sets the machine up and what its driver does),
//! its driver twins, its RTL twins, and any rule that only makes sense for it.
//!
//! Devices are registered once, in the binary that runs them (`cli/src/main.rs` for the
//! in-tree `dirql`; a user's own `main` for a device out of tree), as a list of
//! `&'static dyn Device` handed to [`crate::cli::main`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dirql_host::{Machine, MachineConfig, SharedLineDevice};
use dirql_sim::PinFault;
use serde::Serialize;

use crate::check::{DeviceProfile, Rule};
use crate::harm::HarmLog;
use crate::scenario::RunSettings;

/// A device: its facts, scenarios, twins and own rules.
pub trait Device: Sync {
    /// Its name (`dirql list`, the run manifest, `dirql check --device`).
    fn name(&self) -> &'static str;
    /// What it is, in one line.
    fn description(&self) -> &'static str;
    /// Its simulation model's name (`dirql_sim::Model::names`): its RTL folder's device
    /// name, `devices/<name>/rtl` (sim/build.rs).
    fn model(&self) -> &'static str {
        self.name()
    }
    /// What the generic rules need to know about it.
    fn profile(&self) -> &'static DeviceProfile;
    /// Its scenarios; names are unique across every registered device.
    fn scenarios(&self) -> &'static [Scenario];
    /// Its driver: the reference first, then the broken twins.
    fn drivers(&self) -> Vec<&'static Twin>;
    /// Its RTL: the reference first, then the broken twins.
    fn rtl_twins(&self) -> &'static [RtlTwin];
    /// Rules that only make sense for this device, run beside the generic ones.
    fn own_rules(&self) -> Vec<Box<dyn Rule>> {
        Vec::new()
    }
    /// A register the bench's MMIO workload writes and reads back, as (BAR, offset).
    fn scratch_register(&self) -> Option<(usize, u32)> {
        None
    }
    /// How its reference driver runs as the partner in slot 1 of another device's
    /// scenario (two devices on one bus and one INTA# line: [`Stage::start_partner`]);
    /// `None` when it cannot.
    fn companion(&self) -> Option<Companion> {
        None
    }
}

/// A device's reference driver as the partner of another device's scenario.
#[derive(Clone, Copy)]
pub struct Companion {
    /// Spawns the partner's driver threads (as [`Scenario::start`] does) on the stage of
    /// slot 1; `after` is set once the driver of slot 0 has connected its interrupt, so
    /// that the partner connects second (the chain order on the shared line).
    pub start: fn(&mut Stage<'_>, after: Rc<Cell<Option<u64>>>),
}

/// The name of the two-slot model with `slot0` and `slot1` on one bus and one INTA# line:
/// sim/build.rs builds it for a device whose `rtl/sim/dirql_partners` names the other.
pub fn two_slot_model(slot0: &dyn Device, slot1: &dyn Device) -> String {
    format!("{}__{}", slot0.model(), slot1.model())
}

impl std::fmt::Debug for dyn Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Device({})", self.name())
    }
}

/// A device's scenario: what a run of it sets up.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Name on the command line.
    pub name: &'static str,
    /// What it exercises.
    pub description: &'static str,
    /// Cycles simulated unless `--cycles` says otherwise.
    pub default_cycles: u64,
    /// Rules this scenario cannot exercise (it does nothing they judge): they pass having
    /// checked nothing. Any other rule that checks nothing fails (no vacuous pass).
    pub not_exercised: &'static [&'static str],
    /// Adjusts the machine before it is built (interrupt routing, ...).
    pub configure: fn(&mut MachineConfig, &RunSettings),
    /// Spawns the driver threads and the scenario's own oracles on the built machine.
    pub start: fn(&mut Stage<'_>),
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario").field("name", &self.name).finish_non_exhaustive()
    }
}

impl PartialEq for Scenario {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
    }
}

impl Serialize for Scenario {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Scenario", 4)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("description", self.description)?;
        st.serialize_field("default_cycles", &self.default_cycles)?;
        st.serialize_field("not_exercised", self.not_exercised)?;
        st.end()
    }
}

/// A scenario that leaves the machine as it is.
pub fn no_configuration(_: &mut MachineConfig, _: &RunSettings) {}

/// A driver: the reference, or a broken twin with one realistic defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Twin {
    /// Name used on the command line (`--driver`).
    pub name: &'static str,
    /// The rule this twin breaks (`None` for the reference).
    pub breaks: Option<&'static str>,
    /// The scenario that exposes it.
    pub scenario: Option<&'static str>,
    /// Rules the defect may trip downstream, after the declared one, depending on how long
    /// the run is (e.g. the OS disabling a storming line, so later interrupts are lost).
    /// Declared so that a test can still demand that nothing else fails and that `breaks`
    /// fails first.
    pub also_breaks: &'static [&'static str],
    /// What is wrong with it, in one sentence.
    pub description: &'static str,
}

/// An RTL variant: the device as its RTL describes it, or a twin with one pin-level defect
/// made by the wrapper's pin-fault stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RtlTwin {
    /// Name used on the command line (`--rtl`).
    pub name: &'static str,
    /// The rule this variant breaks (`None` for the reference).
    pub breaks: Option<&'static str>,
    /// The scenario that shows it.
    pub scenario: Option<&'static str>,
    /// What is wrong with it, in one sentence.
    pub description: &'static str,
    /// The stage's mode that makes the defect (`None`: the stage is transparent).
    #[serde(skip)]
    pub fault: Option<PinFault>,
}

/// What a scenario's [`Scenario::start`] gets: the built machine, the run's settings, and
/// the run's ground-truth hooks.
pub struct Stage<'a> {
    /// The machine, before its first cycle.
    pub machine: &'a mut Machine,
    /// The run's settings (seed, CPUs, reading, driver).
    pub settings: &'a RunSettings,
    /// Where the scenario records harm it sees (the run's ground truth).
    pub harm: HarmLog,
    /// Set by the scenario's driver code when setup failed: the run then fails
    /// `run-completed` with this text.
    pub setup_error: Rc<RefCell<Option<String>>>,
    /// Set by the driver code when it has connected and enabled its interrupts: a run that
    /// never gets there made no progress past enumeration.
    pub enabled_at: Rc<Cell<Option<u64>>>,
    pub(crate) second_device: Option<Rc<SharedLineDevice>>,
    pub(crate) at_end: Vec<EndHook>,
    pub(crate) partner: Option<Partner>,
    /// The slot of the device this stage sets up (1 for a partner's).
    pub(crate) slot: u8,
}

/// The device in slot 1 of a two-slot run, and when its driver enabled its interrupts.
#[derive(Clone)]
pub(crate) struct Partner {
    pub(crate) device: &'static dyn Device,
    pub(crate) enabled_at: Rc<Cell<Option<u64>>>,
}

/// A check the scenario runs when the run is over: it records harm it knows of then.
pub type EndHook = Box<dyn FnOnce(&RunEnd, &HarmLog)>;

/// What an end-of-run hook sees.
#[derive(Clone, Copy, Debug)]
pub struct RunEnd {
    /// The last cycle simulated.
    pub cycles: u64,
    /// When the driver enabled its interrupts, if it did.
    pub enabled_at: Option<u64>,
}

impl Stage<'_> {
    /// Puts a second, host-modelled agent on the shared INTA# line raising interrupts at
    /// seeded gaps; the run reports what it raised and what was serviced, and records harm
    /// when its interrupts go unserviced.
    pub fn attach_second_device(&mut self, min_gap: u64, max_gap: u64) -> Rc<SharedLineDevice> {
        let d = SharedLineDevice::new();
        self.machine.attach_second_device(d.clone(), min_gap, max_gap);
        self.second_device = Some(d.clone());
        d
    }

    /// Adds a per-cycle observer of this stage's device: it sees the device's own view of
    /// each cycle (its probes in `dev`), in slot 1 of a two-slot run too
    /// (`Machine::observe_slot1`). A scenario's ground truth reads the device through it.
    pub fn observe(&mut self, o: dirql_host::Observer) {
        if self.slot == 1 {
            self.machine.observe_slot1(o);
        } else {
            self.machine.observe(o);
        }
    }

    /// Runs `hook` when the run is over, to record harm known only then.
    pub fn at_end(&mut self, hook: EndHook) {
        self.at_end.push(hook);
    }

    /// Puts `partner` in slot 1, on the same bus and INTA# line as the scenario's device
    /// (the scenario's `configure` chose the two-slot model, [`two_slot_model`]), with its
    /// reference driver ([`Device::companion`]): its threads are slot 1's driver code, its
    /// rules run beside the device's on slot 1's view of the waveform (reported as
    /// `<partner>:<rule>`), its harm goes to the run's log, and a run in which it never
    /// enabled its interrupts made no progress.
    pub fn start_partner(&mut self, partner: &'static dyn Device) {
        let Some(c) = partner.companion() else {
            *self.setup_error.borrow_mut() =
                Some(format!("device {} cannot run as the partner of another device (no companion)", partner.name()));
            return;
        };
        let enabled_at: Rc<Cell<Option<u64>>> = Rc::default();
        self.machine.set_driver_slot(1);
        let mut st = Stage {
            machine: &mut *self.machine,
            settings: self.settings,
            harm: self.harm.clone(),
            setup_error: self.setup_error.clone(),
            enabled_at: enabled_at.clone(),
            second_device: None,
            at_end: Vec::new(),
            partner: None,
            slot: 1,
        };
        (c.start)(&mut st, self.enabled_at.clone());
        let hooks = std::mem::take(&mut st.at_end);
        self.machine.set_driver_slot(0);
        // The partner's end-of-run checks count from when its own driver enabled them.
        for hook in hooks {
            let at = enabled_at.clone();
            self.at_end.push(Box::new(move |end: &RunEnd, harm: &HarmLog| {
                hook(&RunEnd { enabled_at: at.get(), ..*end }, harm)
            }));
        }
        self.partner = Some(Partner { device: partner, enabled_at });
    }
}

/// Every device's scenarios, drivers and RTL twins, looked up by name.
#[derive(Clone, Copy)]
pub struct Registry {
    devices: &'static [&'static dyn Device],
}

/// A bad registration: two scenarios (or devices) of the same name.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No device registered.
    #[error("no device is registered")]
    Empty,
    /// Two registered names collide.
    #[error("{what} '{name}' is registered by both {a} and {b}")]
    Duplicate {
        /// Scenario or device.
        what: &'static str,
        /// The name.
        name: &'static str,
        /// The first device.
        a: &'static str,
        /// The second device.
        b: &'static str,
    },
}

impl Registry {
    /// A registry of `devices`, the first the default; scenario names must be unique.
    pub fn new(devices: &'static [&'static dyn Device]) -> Result<Self, RegistryError> {
        if devices.is_empty() {
            return Err(RegistryError::Empty);
        }
        for (i, d) in devices.iter().enumerate() {
            for e in &devices[..i] {
                if e.name() == d.name() {
                    return Err(RegistryError::Duplicate { what: "device", name: d.name(), a: e.name(), b: d.name() });
                }
                for s in d.scenarios() {
                    if e.scenarios().iter().any(|t| t.name == s.name) {
                        return Err(RegistryError::Duplicate {
                            what: "scenario",
                            name: s.name,
                            a: e.name(),
                            b: d.name(),
                        });
                    }
                }
            }
        }
        Ok(Registry { devices })
    }

    /// Every device, the default first.
    pub fn devices(&self) -> &'static [&'static dyn Device] {
        self.devices
    }

    /// The default device (the first registered).
    pub fn default_device(&self) -> &'static dyn Device {
        self.devices[0]
    }

    /// The device called `name`.
    pub fn device(&self, name: &str) -> Option<&'static dyn Device> {
        self.devices.iter().copied().find(|d| d.name() == name)
    }

    /// The scenario called `name`, with its device.
    pub fn scenario(&self, name: &str) -> Option<(&'static dyn Device, &'static Scenario)> {
        self.devices.iter().find_map(|d| d.scenarios().iter().find(|s| s.name == name).map(|s| (*d, s)))
    }

    /// Every scenario name, for error messages.
    pub fn scenario_names(&self) -> Vec<&'static str> {
        self.devices.iter().flat_map(|d| d.scenarios().iter().map(|s| s.name)).collect()
    }
}

/// `device`'s driver called `name`.
pub fn driver(device: &dyn Device, name: &str) -> Option<&'static Twin> {
    device.drivers().into_iter().find(|t| t.name == name)
}

/// `device`'s RTL variant called `name`.
pub fn rtl_twin(device: &dyn Device, name: &str) -> Option<&'static RtlTwin> {
    device.rtl_twins().iter().find(|t| t.name == name)
}
