//! One cycle of everything the checkers look at: the wired PCI bus and the host state,
//! as they stand in the interval after a rising edge (what every agent samples at the
//! next edge). A [`Frame`] is built either live from the model's pins or from a VCD; the
//! rules cannot tell the two apart, which is what makes `dirql check FILE` agree with the
//! live verdict.

use crate::{Bus, Drive};

/// `pic` bit: the line's interrupt is in service (the OS has taken it, no EOI yet).
pub const PIC_IN_SERVICE: u8 = 1 << 0;
/// `pic` bit: one-cycle pulse, the controller delivered the line to a CPU.
pub const PIC_DELIVER: u8 = 1 << 1;
/// `pic` bit: one-cycle pulse, end of interrupt: the controller looks at the line again.
pub const PIC_EOI: u8 = 1 << 2;
/// `pic` bit: the line is masked at the controller.
pub const PIC_MASKED: u8 = 1 << 3;

/// The `msi` probe value for `cpu` taking the message-signalled interrupt with x86 vector
/// `vector` (Message Data [7:0]; vectors 0-15 are reserved, so 0 means none).
pub fn msi_probe(cpu: usize, vector: u8) -> u16 {
    u16::from(vector) << (8 * cpu)
}

/// The IRQL a CPU that is not online is traced at (HIGH_LEVEL): no interrupt can reach
/// it, which is all the rules need to know of it (docs/contracts.md §4).
pub const OFFLINE_IRQL: u8 = 31;

/// What a virtual CPU is running, as traced in `host.cpuN_routine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Routine {
    /// Nothing: the idle loop.
    Idle = 0,
    /// Driver code at PASSIVE_LEVEL in a thread.
    Thread = 1,
    /// An interrupt service routine.
    Isr = 2,
    /// A deferred procedure call at DISPATCH_LEVEL.
    Dpc = 3,
    /// A routine run through VideoPortSynchronizeExecution / NdisMSynchronizeWithInterruptEx.
    Sync = 4,
    /// HwVidStartIO.
    StartIo = 5,
    /// Spinning on a spin lock.
    Spin = 6,
    /// The CPU stopped in a (simulated) bug check.
    BugCheck = 7,
    /// Firmware: PCI enumeration before the OS starts.
    Bios = 8,
}

impl Routine {
    /// The routine for a traced code, or `None` for an unknown code.
    pub fn from_code(c: u8) -> Option<Self> {
        use Routine::*;
        Some(match c {
            0 => Idle,
            1 => Thread,
            2 => Isr,
            3 => Dpc,
            4 => Sync,
            5 => StartIo,
            6 => Spin,
            7 => BugCheck,
            8 => Bios,
            _ => return None,
        })
    }

    /// Short name as used in reports.
    pub fn name(self) -> &'static str {
        use Routine::*;
        match self {
            Idle => "idle",
            Thread => "thread",
            Isr => "ISR",
            Dpc => "DPC",
            Sync => "sync-routine",
            StartIo => "StartIO",
            Spin => "spin",
            BugCheck => "bugcheck",
            Bios => "BIOS",
        }
    }
}

/// Number of virtual CPUs the wrapper traces.
pub const TRACED_CPUS: usize = 2;

/// One cycle of observed state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Cycle number (rising edges since time 0).
    pub cycle: u64,
    /// PCI RST#.
    pub rst_n: bool,
    /// Wired FRAME#.
    pub frame_n: bool,
    /// Wired IRDY#.
    pub irdy_n: bool,
    /// Wired TRDY#.
    pub trdy_n: bool,
    /// Wired DEVSEL#.
    pub devsel_n: bool,
    /// Wired STOP#.
    pub stop_n: bool,
    /// Wired C/BE#[3:0].
    pub cbe_n: u8,
    /// Wired AD[31:0].
    pub ad: u32,
    /// Wired PAR.
    pub par: bool,
    /// IDSEL of the device.
    pub idsel: bool,
    /// Who drives AD: bit 0 host, bit 1 device.
    pub ad_drivers: u8,
    /// The shared INTA# line.
    pub inta_n: bool,
    /// The device's own INTA# drive.
    pub dev_inta_n: bool,
    /// IRQL of each CPU.
    pub irql: [u8; TRACED_CPUS],
    /// Routine code of each CPU (see [`Routine`]).
    pub routine: [u8; TRACED_CPUS],
    /// Driver operation marker of each CPU.
    pub op: [u8; TRACED_CPUS],
    /// ISR return pulse, two bits per CPU: 1 = FALSE, 2 = TRUE.
    pub isr_ret: u8,
    /// Interrupt spin lock owner: 0 free, N = CPU N-1.
    pub lock_owner: u8,
    /// Interrupt controller bits (`PIC_*`).
    pub pic: u8,
    /// Which CPU's transaction is on the bus: 0 none, N = CPU N-1, 3 bridge.
    pub bus_cpu: u8,
    /// Who issued the transaction on the bus, as it stood when it was issued (a posted
    /// write keeps its issuer's): [3:0] routine code, [4] it held the interrupt lock,
    /// [12:8] its IRQL; 0 = none. Absent from older waveforms: 0 there.
    pub bus_issuer: u16,
    /// Posted-write buffer depth.
    pub posted: u8,
    /// Driver annotation of each CPU (`host.cpuN_note`), meaning set by the driver model.
    pub note: [u32; TRACED_CPUS],
    /// Device state probes (`dev_probeN_o`), assignment per device (docs/sim-interface.md).
    pub dev: [u32; 8],
    /// Message-signalled interrupts taken this cycle: byte N is the x86 vector CPU N took
    /// (one-cycle pulse; 0 = none). See [`Frame::msi_taken`].
    pub msi: u16,
    /// Bit N: CPU N runs a routine its caller synchronized with the ISR expecting exclusion
    /// (`host.exclusive`; 0 in waveforms written before it was traced).
    pub exclusive: u8,
}

impl Frame {
    /// The frame of cycle `cycle` from what the harness drove and the bus it got back.
    #[inline]
    pub fn live(cycle: u64, d: &Drive, b: &Bus) -> Self {
        Frame {
            cycle,
            rst_n: d.rst_n != 0,
            frame_n: b.frame_n != 0,
            irdy_n: b.irdy_n != 0,
            trdy_n: b.trdy_n != 0,
            devsel_n: b.devsel_n != 0,
            stop_n: b.stop_n != 0,
            cbe_n: b.cbe_n,
            ad: b.ad,
            par: b.par != 0,
            idsel: d.idsel != 0,
            ad_drivers: b.ad_drivers,
            inta_n: b.inta_n != 0,
            dev_inta_n: b.dev_inta_n != 0,
            irql: [d.cpu0_irql, d.cpu1_irql],
            routine: [d.cpu0_routine, d.cpu1_routine],
            op: [d.cpu0_op, d.cpu1_op],
            isr_ret: d.isr_ret,
            lock_owner: d.lock_owner,
            pic: d.pic,
            bus_cpu: d.bus_cpu,
            posted: d.posted,
            bus_issuer: d.bus_issuer,
            note: [d.cpu0_note, d.cpu1_note],
            dev: b.dev_probe,
            msi: d.msi,
            exclusive: d.exclusive,
        }
    }

    /// The ISR return pulse of `cpu` this cycle: `Some(true)` for TRUE (code 2, or 3 when
    /// the ISR also queued a DPC).
    pub fn isr_return(&self, cpu: usize) -> Option<bool> {
        match (self.isr_ret >> (2 * cpu)) & 3 {
            1 => Some(false),
            2 | 3 => Some(true),
            _ => None,
        }
    }

    /// True when `cpu`'s ISR returned TRUE this cycle having queued a DPC (`isr_ret` code 3).
    pub fn isr_queued_dpc(&self, cpu: usize) -> bool {
        (self.isr_ret >> (2 * cpu)) & 3 == 3
    }

    /// The vector of the message-signalled interrupt `cpu` took this cycle, if it took one.
    pub fn msi_taken(&self, cpu: usize) -> Option<u8> {
        let v = (self.msi >> (8 * cpu)) as u8;
        (v != 0).then_some(v)
    }

    /// Who issued the transaction on the bus: (routine, held the interrupt lock, IRQL),
    /// when the waveform says.
    pub fn issuer(&self) -> Option<(Routine, bool, u8)> {
        let i = self.bus_issuer;
        (i != 0)
            .then(|| Routine::from_code((i & 0xF) as u8))
            .flatten()
            .map(|r| (r, i & 0x10 != 0, (i >> 8) as u8 & 0x1F))
    }

    /// The routine `cpu` runs this cycle.
    pub fn routine_of(&self, cpu: usize) -> Option<Routine> {
        Routine::from_code(self.routine[cpu])
    }
}
