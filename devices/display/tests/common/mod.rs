//! A machine with the dirql adapter enumerated and a test miniport initialized: the
//! reference miniport's entry points with hooks a test can put code into.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test files; tests unwrap

use std::cell::RefCell;
use std::rc::Rc;

use dirql_display::{DirqlMiniport, Variant};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{
    video_port_initialize, VideoDevice, VideoMiniport, VideoPort, VideoPortConfig, VideoRequestPacket,
};
use dirql_host::{Cpu, Machine, MachineConfig};

/// Code run inside HwVidInterrupt before the reference ISR.
pub type IsrHook = Rc<dyn Fn(&VideoPort<'_, '_>)>;
/// HwVidStartIO of the test miniport.
pub type StartIoHook = Rc<dyn Fn(&VideoPort<'_, '_>, &mut VideoRequestPacket) -> bool>;

pub struct TestMiniport {
    pub inner: DirqlMiniport,
    pub with_isr: bool,
    pub isr_hook: RefCell<Option<IsrHook>>,
    pub start_io: RefCell<Option<StartIoHook>>,
}

impl TestMiniport {
    pub fn new(with_isr: bool) -> Rc<Self> {
        Rc::new(TestMiniport {
            inner: DirqlMiniport::new(Variant::by_name("reference").unwrap()),
            with_isr,
            isr_hook: RefCell::new(None),
            start_io: RefCell::new(None),
        })
    }
}

impl VideoMiniport for TestMiniport {
    fn name(&self) -> &str {
        "test"
    }
    fn has_interrupt(&self) -> bool {
        self.with_isr
    }
    fn hw_find_adapter(&self, vp: &VideoPort<'_, '_>) -> Result<(), String> {
        self.inner.hw_find_adapter(vp)
    }
    fn hw_initialize(&self, vp: &VideoPort<'_, '_>) -> bool {
        self.inner.hw_initialize(vp)
    }
    fn hw_interrupt(&self, vp: &VideoPort<'_, '_>) -> bool {
        let hook = self.isr_hook.borrow().clone();
        if let Some(h) = hook {
            h(vp);
        }
        self.inner.hw_interrupt(vp)
    }
    fn hw_dpc(&self, vp: &VideoPort<'_, '_>) {
        self.inner.hw_dpc(vp)
    }
    fn hw_start_io(&self, vp: &VideoPort<'_, '_>, rp: &mut VideoRequestPacket) -> bool {
        let hook = self.start_io.borrow().clone();
        match hook {
            Some(h) => h(vp, rp),
            None => false,
        }
    }
}

/// The device once VideoPortInitialize returned (set by the boot job).
pub type DevSlot = Rc<RefCell<Option<Rc<VideoDevice>>>>;

/// A machine whose CPU 0 enumerates, initializes `mp` and then runs `body`.
pub fn boot(
    cfg: MachineConfig,
    vp_cfg: VideoPortConfig,
    mp: Rc<TestMiniport>,
    body: impl FnOnce(&VideoPort<'_, '_>) + 'static,
) -> (Machine, DevSlot) {
    let mut m = Machine::new(&cfg).unwrap();
    let slot: DevSlot = Rc::new(RefCell::new(None));
    let s = slot.clone();
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).expect("the adapter answers enumeration");
            let dev = VideoDevice::new(vp_cfg, pci);
            video_port_initialize(cpu, &dev, mp).expect("VideoPortInitialize succeeds");
            *s.borrow_mut() = Some(dev.clone());
            body(&VideoPort::new(cpu, &dev));
        }),
    );
    (m, slot)
}

/// Base address of BAR0 as enumerated.
pub fn bar0(vp: &VideoPort<'_, '_>) -> u32 {
    vp.device().pci.bars[0].map(|b| b.base).unwrap()
}

/// A small machine config: no VCD, fixed seed.
pub fn machine(seed: u64) -> MachineConfig {
    MachineConfig { seed, ..MachineConfig::default() }
}
