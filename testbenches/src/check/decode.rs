//! A passive PCI transaction decoder: from the wired bus alone (a [`Frame`] per cycle) it
//! recovers each completed data phase, exactly as a logic analyser would (PCI Local Bus
//! Spec 3.0, §3.3: the address phase is the first clock of FRAME#; a data phase completes
//! on a clock where IRDY# and TRDY# are both asserted; the last one has FRAME# high).

use dirql_sim::{Command, Frame};

/// A data phase that completed in the interval of `cycle` (sampled at the next edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataPhase {
    /// Cycle of the interval in which IRDY# and TRDY# were both asserted.
    pub cycle: u64,
    /// The transaction's command (`None` for a reserved code).
    pub cmd: Option<Command>,
    /// Byte address of this phase.
    pub addr: u32,
    /// AD in this phase.
    pub data: u32,
    /// Byte enables (active high).
    pub be: u8,
    /// IDSEL during the address phase.
    pub idsel: bool,
    /// Which CPU issued the transaction (0 = none traced).
    pub bus_cpu: u8,
    /// The device mastered the transaction (it drove AD in the address phase).
    pub by_device: bool,
    /// Who issued it (`host.bus_issuer`, [`Frame::issuer`]; 0 unknown).
    pub issuer: u16,
}

/// The decoder's state.
#[derive(Clone, Debug, Default)]
pub struct PciDecoder {
    busy: bool,
    cmd_code: u8,
    addr: u32,
    idsel: bool,
    by_device: bool,
    /// BAR0..BAR5 as configuration software last wrote them (flag bits included).
    bars: [Option<u32>; 6],
    /// Command register bit 10, Interrupt Disable, as last written.
    int_disable: bool,
    /// MSI Enable (Message Control bit 0) as last written.
    msi_enable: bool,
    /// Config offset of the device's MSI capability, when it has one.
    msi_cap: Option<u32>,
}

/// Config offset of BAR0 in the type-0 header; BAR n is at `CFG_BAR0 + 4n`, n < 6.
const CFG_BAR0: u32 = 0x10;
/// Config offset of the Command register (Interrupt Disable is bit 10, PCI 3.0 §6.2.2).
const CFG_COMMAND: u32 = 0x04;

impl PciDecoder {
    /// Feeds one cycle; returns the data phase that completed in it, if any.
    pub fn feed(&mut self, f: &Frame) -> Option<DataPhase> {
        if !f.rst_n {
            *self = PciDecoder { msi_cap: self.msi_cap, ..PciDecoder::default() };
            return None;
        }
        if !self.busy {
            if !f.frame_n {
                // Address phase.
                self.busy = true;
                self.cmd_code = f.cbe_n & 0xF;
                self.addr = f.ad;
                self.idsel = f.idsel;
                self.by_device = f.ad_drivers & 2 != 0;
            }
            return None;
        }
        let mut out = None;
        if !f.irdy_n && !f.trdy_n {
            let ph = DataPhase {
                cycle: f.cycle,
                cmd: Command::from_code(self.cmd_code),
                addr: self.addr,
                data: f.ad,
                be: !f.cbe_n & 0xF,
                idsel: self.idsel,
                bus_cpu: f.bus_cpu,
                by_device: self.by_device,
                issuer: f.bus_issuer,
            };
            let dw = ph.addr & 0xFC;
            if ph.cmd == Some(Command::ConfigWrite)
                && self.idsel
                && ph.be == 0xF
                && (CFG_BAR0..CFG_BAR0 + 24).contains(&dw)
            {
                self.bars[((dw - CFG_BAR0) / 4) as usize] = Some(ph.data);
            }
            if ph.cmd == Some(Command::ConfigWrite) && self.idsel {
                let dw = ph.addr & 0xFC;
                if dw == CFG_COMMAND && ph.be & 0b0010 != 0 {
                    self.int_disable = ph.data & (1 << 10) != 0;
                }
                // Message Control is the upper half of the capability's first dword
                // (PCI 3.0 §6.8.1.3): MSI Enable is its bit 0.
                if self.msi_cap == Some(dw) && ph.be & 0b0100 != 0 {
                    self.msi_enable = ph.data & (1 << 16) != 0;
                }
            }
            self.addr = self.addr.wrapping_add(4);
            out = Some(ph);
        }
        // The transaction is over once FRAME# is high and the final phase ended (data,
        // or STOP#), or when the master gave up (FRAME# and IRDY# both high).
        if f.frame_n && (f.irdy_n || !f.trdy_n || !f.stop_n) {
            self.busy = false;
        }
        out
    }

    /// BAR0..BAR5 as last written by configuration software (seen on the bus), with the
    /// low flag bits as written; [`super::Ctx::target`] masks them by the BAR's declared space.
    pub fn bars(&self) -> [Option<u32>; 6] {
        self.bars
    }

    /// A decoder that also follows MSI Enable in the capability at config offset `cap`.
    pub fn with_msi_cap(cap: Option<u32>) -> Self {
        PciDecoder { msi_cap: cap, ..PciDecoder::default() }
    }

    /// True while the device may signal on INTA#: Interrupt Disable clear and MSI off
    /// (PCI 3.0 §6.8.3.3: with MSI enabled the function must not use its pin).
    pub fn intx_allowed(&self) -> bool {
        !self.int_disable && !self.msi_enable
    }

    /// True while MSI is enabled.
    pub fn msi_enabled(&self) -> bool {
        self.msi_enable
    }
}
