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
    /// Code of another device's driver: never traced, only what [`Frame::view`] shows a
    /// CPU running the driver of the other slot as.
    Foreign = 9,
    /// The ISR of another device's driver on a shared line (the chain): shown as
    /// [`Routine::Foreign`] is, by [`Frame::view`] only.
    ForeignIsr = 10,
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
            9 => Foreign,
            10 => ForeignIsr,
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
            Foreign => "other-device",
            ForeignIsr => "other-device-ISR",
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
    /// Which device's view this is: 0 (the only device, or slot 0 of a two-slot model)
    /// or 1 ([`Frame::views`]).
    pub slot: u8,
    /// Host-RAM dword each CPU read this cycle without the bus: address | 1 (0 = none;
    /// `host.cpuN_ram_read`, 0 in waveforms written before it was traced). See
    /// [`Frame::ram_read`].
    pub ram_read: [u32; TRACED_CPUS],
    /// Device Memory Write data phases into host RAM that have left the host bridge's
    /// upstream queue (reached RAM) since reset, wrapping at 2^16 (`host.dma_landed`).
    pub dma_landed: u16,
}

/// What a two-slot model traces of slot 1 and of whose code runs where, beside a frame:
/// what [`Frame::views`] needs (`host1.*`, `dev1_*`, docs/sim-interface.md "Two slots").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot1 {
    /// Slot 1's IDSEL.
    pub idsel: bool,
    /// Slot 1's own INTA# drive.
    pub inta_n: bool,
    /// Slot 1's ISR return pulse, as [`Frame::isr_ret`].
    pub isr_ret: u8,
    /// Slot 1's interrupt spin lock owner, as [`Frame::lock_owner`].
    pub lock_owner: u8,
    /// Bit N: CPU N runs slot 1's driver code.
    pub cpu_slot: u8,
    /// Bit N: slot N drives AD.
    pub ad_oe: u8,
    /// Slot 1's probes.
    pub dev: [u32; 8],
}

impl Slot1 {
    /// From what the harness drove and slot 1's outputs.
    #[inline]
    pub fn live(d: &Drive, s: &crate::Slot1Bus) -> Self {
        Slot1 {
            idsel: d.idsel1 != 0,
            inta_n: s.dev1_inta_n != 0,
            isr_ret: d.isr_ret1,
            lock_owner: d.lock_owner1,
            cpu_slot: d.cpu_slot,
            ad_oe: s.slot_ad_oe,
            dev: s.dev1_probe,
        }
    }
}

/// The slot of a bus issuer ([`Frame::bus_issuer`] bits 14:13).
pub const ISSUER_SLOT_SHIFT: u32 = 13;

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
            slot: 0,
            ram_read: [d.cpu0_ram_read, d.cpu1_ram_read],
            dma_landed: d.dma_landed,
        }
    }

    /// The frames of a two-slot model's cycle as each device and its driver see it, slot 0's
    /// then slot 1's (`slot` set): that slot's IDSEL, INTA#, probes, AD drive, ISR returns
    /// and interrupt lock in the one-device fields, and every CPU running the other slot's
    /// driver shown as running [`Routine::Foreign`] code (its ISR as
    /// [`Routine::ForeignIsr`]; its operation, note and exclusion cleared; a transaction it
    /// issued likewise), so that a rule written for one device judges this one alone.
    pub fn views(&self, s1: &Slot1) -> [Frame; 2] {
        let mut v = [*self, *self];
        let one = &mut v[1];
        one.slot = 1;
        one.idsel = s1.idsel;
        one.dev_inta_n = s1.inta_n;
        one.dev = s1.dev;
        one.isr_ret = s1.isr_ret;
        one.lock_owner = s1.lock_owner;
        for (slot, f) in v.iter_mut().enumerate() {
            f.ad_drivers = (self.ad_drivers & 1) | ((s1.ad_oe >> slot) & 1) << 1;
            for c in 0..TRACED_CPUS {
                let theirs = usize::from((s1.cpu_slot >> c) & 1) != slot;
                if theirs && self.routine[c] != Routine::Idle as u8 {
                    f.routine[c] =
                        if self.routine[c] == Routine::Isr as u8 { Routine::ForeignIsr } else { Routine::Foreign }
                            as u8;
                    f.op[c] = 0;
                    f.note[c] = 0;
                    f.exclusive &= !(1 << c);
                    // `ram_read` stays: it is a pulse of the whole cycle, whose code may have
                    // been either driver's (a DPC's last read, then the other driver's thread
                    // in the same cycle); its address says whose memory it was.
                }
            }
            if self.bus_issuer != 0 && usize::from((self.bus_issuer >> ISSUER_SLOT_SHIFT) & 3) != slot {
                f.bus_issuer = (self.bus_issuer & !0xF) | Routine::Foreign as u16;
            }
        }
        v
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

    /// The host-RAM dword address `cpu` read this cycle without the bus, if it read one.
    pub fn ram_read(&self, cpu: usize) -> Option<u32> {
        let r = self.ram_read[cpu];
        (r & 1 != 0).then_some(r & !3)
    }

    /// The routine `cpu` runs this cycle.
    pub fn routine_of(&self, cpu: usize) -> Option<Routine> {
        Routine::from_code(self.routine[cpu])
    }
}
