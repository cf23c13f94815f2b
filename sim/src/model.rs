//! Safe wrapper over the cxx bridge to the Verilated model.

use std::path::{Path, PathBuf};

use crate::ffi::bridge as ffi;
use crate::{Bus, Drive, Slot1Bus};

/// Length of one PCI clock in the waveform's 1 ns time unit (33 MHz conventional PCI).
pub const PERIOD_NS: u64 = 30;

/// The Verilator the model was built with, as `verilator --version` prints it
/// ("Verilator 5.006 2023-01-22 rev ..."), for reports and docs/compat.md.
pub const VERILATOR_VERSION: &str = env!("DIRQL_VERILATOR_VERSION");

/// Whether that Verilator's FST writer keeps the hierarchy in a `FILE.fst.hier` side file
/// while it writes (fstapi, every version before 5.050), so that a killed run's FST can be
/// read up to its last finished block. 5.050's own writer writes header, geometry and
/// hierarchy only on close and keeps no side file: a killed FST is then not readable
/// (docs/robustness.md).
pub const FST_KEEPS_HIER_FILE: bool = matches!(env!("DIRQL_FST_HIER_FILE").as_bytes(), b"1");

/// The waveform formats Verilator writes for the model (both compiled in, see sim/build.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceFormat {
    /// Value Change Dump (IEEE 1364 §18): text, read by every tool.
    Vcd,
    /// GTKWave's Fast Signal Trace: compressed blocks, far smaller for long runs.
    Fst,
}

impl TraceFormat {
    /// The format a waveform path asks for: FST when it ends in `.fst` (any case), else VCD.
    pub fn of_path(path: &Path) -> Self {
        match path.extension() {
            Some(e) if e.eq_ignore_ascii_case("fst") => TraceFormat::Fst,
            _ => TraceFormat::Vcd,
        }
    }

    /// The format's usual file extension (and its name in reports): `vcd` or `fst`.
    pub fn extension(self) -> &'static str {
        match self {
            TraceFormat::Vcd => "vcd",
            TraceFormat::Fst => "fst",
        }
    }
}

/// Failures of the simulator itself (not of the design under test).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The VCD could not be created.
    #[error("cannot open waveform file {path}: {reason} (check that the folder exists and is writable)")]
    Trace {
        /// The path that was asked for.
        path: PathBuf,
        /// What the C++ side reported.
        reason: String,
    },
    /// The waveform could not be written (a full disk, /dev/full, a quota, the file
    /// removed under the run): the run ends, and what the file still holds is in `reason`.
    #[error("{reason} (fix: free space or choose another folder for the waveform)")]
    TraceWrite {
        /// The waveform path.
        path: PathBuf,
        /// What failed and what is left, from the C++ side: names the file and the cause.
        reason: String,
    },
    /// No model of that device was built.
    #[error(
        "no simulation model of device '{model}' in this build (built: {built}); fix: its RTL folder must have \
         sim/dirql_device.vh and sim/dirql_probes.vh (docs/bring-your-own-device.md), under devices/*/rtl or \
         named in DIRQL_DEVICE_RTL"
    )]
    NoModel {
        /// The model asked for.
        model: String,
        /// The models built.
        built: String,
    },
    /// The coverage file could not be written.
    #[error("cannot write the coverage file {path}: {reason}")]
    Coverage {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The path cannot be handed to the C++ side.
    #[error("waveform path {0} is not valid UTF-8; choose a plain path")]
    PathEncoding(PathBuf),
}

/// The Verilated wrapper, clocked one PCI cycle at a time.
pub struct Model {
    inner: cxx::UniquePtr<ffi::Model>,
    /// The waveform's path (empty when untraced), for errors.
    wave: PathBuf,
}

impl Model {
    /// Builds the default device model (the first [`Model::names`] lists), tracing to
    /// `wave` when given: FST when its name ends in `.fst`, else VCD
    /// ([`TraceFormat::of_path`]).
    pub fn new(wave: Option<&Path>) -> Result<Self, SimError> {
        Self::of("", wave)
    }

    /// The device models this build holds (one per device folder, sim/build.rs), the
    /// default first.
    pub fn names() -> Vec<String> {
        ffi::model_names().split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    /// Builds the device model called `model` (`""`: the default), tracing to `wave` when
    /// given, as [`Model::new`].
    pub fn of(model: &str, wave: Option<&Path>) -> Result<Self, SimError> {
        if !model.is_empty() && !Self::names().iter().any(|n| n == model) {
            return Err(SimError::NoModel { model: model.to_string(), built: Self::names().join(", ") });
        }
        let path = match wave {
            Some(p) => p.to_str().ok_or_else(|| SimError::PathEncoding(p.to_path_buf()))?,
            None => "",
        };
        let fst = wave.is_some_and(|p| TraceFormat::of_path(p) == TraceFormat::Fst);
        let inner = ffi::new_model(model, path, fst).map_err(|e| SimError::Trace {
            path: wave.map(Path::to_path_buf).unwrap_or_default(),
            reason: e.what().to_string(),
        })?;
        Ok(Self { inner, wave: wave.map(Path::to_path_buf).unwrap_or_default() })
    }

    /// Devices on the bus: 1, or 2 for a two-slot model (docs/sim-interface.md).
    pub fn slots(&self) -> u8 {
        self.inner.slots()
    }

    /// Slot 1's outputs after the last clock ([`Slot1Bus::released`] in a one-slot model).
    pub fn slot1(&self) -> Slot1Bus {
        self.inner.slot1()
    }

    /// One clock: applies `d`, then returns the wired bus of the interval that follows.
    #[inline]
    pub fn step(&mut self, d: &Drive) -> Bus {
        self.inner.pin_mut().step(d)
    }

    /// Up to `max` clocks with the same inputs `d`, entirely in C++, stopping after the
    /// first clock whose wired bus differs from `last`. Returns the clocks run and the bus
    /// of the last one; every clock before it had exactly `last`. This is the quiet-cycle
    /// fast path: while the host can do nothing, only Verilator runs.
    pub fn run_quiet(&mut self, d: &Drive, last: &Bus, max: u64) -> (u64, Bus) {
        let mut out = *last;
        let n = self.inner.pin_mut().run_quiet(d, last, max, &mut out);
        (n, out)
    }

    /// `cycles` clocks from a C++ loop with idle inputs: the benchmark's "bare" limit.
    pub fn run_bare(&mut self, cycles: u64, reset: bool) {
        self.inner.pin_mut().run_bare(cycles, reset);
    }

    /// Pushes buffered trace data to the file, so that what is on disk is a valid VCD up
    /// to the last cycle stepped. An FST file ends its blocks on its own cadence (every
    /// 65 536 cycles, sim/cpp/trace_fst.cpp); it is whole only once closed
    /// ([`Model::close_trace`], or dropping the model), and before that readable up to its
    /// last block only with the `.hier` file Verilator 5.006's writer keeps beside it.
    ///
    /// Fails once the waveform cannot be written (docs/robustness.md): the caller ends the
    /// run; a VCD has then been cut back to its last whole cycle.
    pub fn flush_trace(&mut self) -> Result<(), SimError> {
        self.inner.pin_mut().flush_trace();
        self.trace_result()
    }

    /// Flushes and closes the trace; later steps are not traced. Fails as
    /// [`Model::flush_trace`] does, and for an FST whose closed file is not whole.
    pub fn close_trace(&mut self) -> Result<(), SimError> {
        self.inner.pin_mut().close_trace();
        self.trace_result()
    }

    fn trace_result(&self) -> Result<(), SimError> {
        let reason = self.inner.trace_error();
        if reason.is_empty() {
            return Ok(());
        }
        Err(SimError::TraceWrite { path: self.wave.clone(), reason: reason.to_string() })
    }

    /// Cycles stepped since the model was built.
    pub fn cycles(&self) -> u64 {
        self.inner.cycles()
    }

    /// Writes the line and toggle coverage of the run so far to `path` (Verilator's
    /// `coverage.dat`). Only a coverage model (`<device>:coverage`, built by sim/build.rs
    /// when `DIRQL_COVERAGE=1`) has counters; any other fails, saying so.
    pub fn write_coverage(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::PathEncoding(path.to_path_buf()))?;
        let reason = self.inner.pin_mut().write_coverage(p);
        if reason.is_empty() {
            return Ok(());
        }
        Err(SimError::Coverage { path: path.to_path_buf(), reason: reason.to_string() })
    }
}

impl Drive {
    /// Every bus signal released, reset asserted, host probes at zero.
    pub const fn idle() -> Self {
        Drive {
            rst_n: 0,
            frame_n: 1,
            irdy_n: 1,
            cbe_n: 0xF,
            ad: 0,
            ad_oe: 0,
            par: 0,
            par_oe: 0,
            idsel: 0,
            trdy_n: 1,
            devsel_n: 1,
            stop_n: 1,
            gnt_n: 1,
            inta2_n: 1,
            fault: 0,
            cpu0_irql: 0,
            cpu1_irql: 0,
            cpu0_routine: 0,
            cpu1_routine: 0,
            cpu0_op: 0,
            cpu1_op: 0,
            isr_ret: 0,
            lock_owner: 0,
            pic: 0,
            bus_cpu: 0,
            bus_issuer: 0,
            posted: 0,
            cpu0_note: 0,
            cpu1_note: 0,
            msi: 0,
            exclusive: 0,
            idsel1: 0,
            gnt1_n: 1,
            isr_ret1: 0,
            lock_owner1: 0,
            cpu_slot: 0,
            cpu0_ram_read: 0,
            cpu1_ram_read: 0,
            dma_landed: 0,
        }
    }
}

impl Default for Drive {
    fn default() -> Self {
        Self::idle()
    }
}

impl Bus {
    /// The bus with nobody driving (all pulled up, AD floating at 0).
    pub const fn released() -> Self {
        Bus {
            frame_n: 1,
            irdy_n: 1,
            trdy_n: 1,
            devsel_n: 1,
            stop_n: 1,
            cbe_n: 0xF,
            ad: 0,
            par: 0,
            ad_drivers: 0,
            req_n: 1,
            perr_n: 1,
            serr_n: 1,
            inta_n: 1,
            dev_inta_n: 1,
            dev_probe: [0; 8],
        }
    }
}

impl Slot1Bus {
    /// Slot 1 empty or released.
    pub const fn released() -> Self {
        Slot1Bus { req1_n: 1, dev1_inta_n: 1, slot_ad_oe: 0, dev1_probe: [0; 8] }
    }
}
