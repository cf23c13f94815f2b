//! Synthetic waveforms for rule tests: a tiny, protocol-clean PCI master and target plus
//! host state, emitting one [`Frame`] per cycle. Tests build the clean case, then break
//! exactly one thing and assert the rule reports it at that cycle.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test crates; tests unwrap

use dirql_sim::{Command, Frame};
use dirql_testbenches::check::{pci_parity, Checker, Rule, RuleReport};

pub const BAR0: u32 = 0xF000_0000;
pub const BAR1: u32 = 0x0000_1000;

/// Builds frames cycle by cycle; `host` is copied into each new frame.
pub struct Wave {
    pub frames: Vec<Frame>,
    pub host: Frame,
}

impl Default for Wave {
    fn default() -> Self {
        Self::new()
    }
}

impl Wave {
    pub fn new() -> Self {
        let host = Frame {
            rst_n: true,
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            cbe_n: 0xF,
            inta_n: true,
            dev_inta_n: true,
            ..Frame::default()
        };
        Wave { frames: Vec::new(), host }
    }

    /// Cycle the next frame gets.
    pub fn now(&self) -> u64 {
        self.frames.len() as u64 + 1
    }

    fn push(&mut self, bus: impl FnOnce(&mut Frame)) -> u64 {
        let mut f = self.host;
        f.cycle = self.now();
        bus(&mut f);
        if let Some(p) = self.frames.last() {
            if p.ad_drivers != 0 {
                f.par = pci_parity(p.ad, p.cbe_n);
            }
        }
        self.frames.push(f);
        f.cycle
    }

    /// `n` idle bus cycles.
    pub fn idle(&mut self, n: u64) {
        for _ in 0..n {
            self.push(|_| {});
        }
    }

    /// One single-phase write by `cpu` (0-based; `None` = bridge); returns the data-phase cycle.
    pub fn write(&mut self, cpu: Option<u8>, cmd: Command, addr: u32, data: u32, be: u8) -> u64 {
        let bus_cpu = cpu.map_or(3, |c| c + 1);
        self.push(|f| {
            f.frame_n = false;
            f.ad = addr;
            f.cbe_n = cmd as u8;
            f.ad_drivers = 1;
            f.bus_cpu = bus_cpu;
            f.idsel = matches!(cmd, Command::ConfigWrite | Command::ConfigRead);
        });
        let c = self.push(|f| {
            f.irdy_n = false;
            f.trdy_n = false;
            f.devsel_n = false;
            f.ad = data;
            f.cbe_n = !be & 0xF;
            f.ad_drivers = 1;
            f.bus_cpu = bus_cpu;
        });
        self.idle(1);
        c
    }

    /// One single-phase read by `cpu`, data `data` from the target; returns the data-phase cycle.
    pub fn read(&mut self, cpu: Option<u8>, cmd: Command, addr: u32, data: u32) -> u64 {
        let bus_cpu = cpu.map_or(3, |c| c + 1);
        self.push(|f| {
            f.frame_n = false;
            f.ad = addr;
            f.cbe_n = cmd as u8;
            f.ad_drivers = 1;
            f.bus_cpu = bus_cpu;
        });
        // Turnaround: nobody drives AD; medium decode.
        self.push(|f| {
            f.irdy_n = false;
            f.cbe_n = 0;
            f.bus_cpu = bus_cpu;
        });
        let c = self.push(|f| {
            f.irdy_n = false;
            f.trdy_n = false;
            f.devsel_n = false;
            f.ad = data;
            f.cbe_n = 0;
            f.ad_drivers = 2;
            f.bus_cpu = bus_cpu;
        });
        self.idle(1);
        c
    }

    /// Configuration software assigns BAR0 and BAR1.
    pub fn configure(&mut self) {
        self.write(Some(0), Command::ConfigWrite, 0x10, BAR0, 0xF);
        self.write(Some(0), Command::ConfigWrite, 0x14, BAR1 | 1, 0xF);
        self.idle(2);
    }

    /// The device mastering an MSI write of `vector` to CPU `dest`'s local APIC; returns
    /// the data-phase cycle.
    pub fn msi(&mut self, dest: u32, vector: u8) -> u64 {
        self.push(|f| {
            f.frame_n = false;
            f.ad = 0xFEE0_0000 | dest << 12;
            f.cbe_n = Command::MemWrite as u8;
            f.ad_drivers = 2;
        });
        let c = self.push(|f| {
            f.irdy_n = false;
            f.trdy_n = false;
            f.devsel_n = false;
            f.ad = u32::from(vector);
            f.cbe_n = 0;
            f.ad_drivers = 2;
        });
        self.idle(1);
        c
    }

    pub fn mmio_write(&mut self, cpu: u8, off: u32, data: u32) -> u64 {
        self.write(Some(cpu), Command::MemWrite, BAR0 + off, data, 0xF)
    }

    pub fn mmio_read(&mut self, cpu: u8, off: u32, data: u32) -> u64 {
        self.read(Some(cpu), Command::MemRead, BAR0 + off, data)
    }

    /// A byte write to VGA port offset `port` (BAR1 + port).
    pub fn io_write_byte(&mut self, cpu: u8, port: u32, v: u8) -> u64 {
        let lane = port & 3;
        self.write(Some(cpu), Command::IoWrite, BAR1 + port, u32::from(v) << (8 * lane), 1 << lane)
    }

    /// Sets the routine and IRQL of `cpu` for the frames that follow.
    pub fn cpu(&mut self, cpu: usize, routine: u8, irql: u8) {
        self.host.routine[cpu] = routine;
        self.host.irql[cpu] = irql;
    }

    /// A one-cycle pulse on top of the host state (e.g. isr_ret, pic deliver).
    pub fn pulse(&mut self, set: impl FnOnce(&mut Frame)) -> u64 {
        self.push(set)
    }

    /// Runs `rule` alone over the frames.
    pub fn check(&self, rule: Box<dyn Rule>) -> RuleReport {
        let mut c = Checker::with_rules(&dirql_display::profile::PROFILE, vec![rule]);
        for f in &self.frames {
            c.feed(f);
        }
        c.finish().remove(0)
    }
}

/// Asserts the report holds a violation at `cycle` whose message contains `needle`.
pub fn assert_violation_at(r: &RuleReport, cycle: u64, needle: &str) {
    assert!(
        r.violations.iter().any(|v| v.cycle == cycle && v.message.contains(needle)),
        "{}: expected a violation at cycle {cycle} containing {needle:?}; got {:#?}",
        r.name,
        r.violations.iter().map(|v| (v.cycle, &v.message)).collect::<Vec<_>>()
    );
}

pub fn assert_clean(r: &RuleReport) {
    assert!(
        r.violations.is_empty(),
        "{}: expected clean; got {:#?}",
        r.name,
        r.violations.iter().map(|v| (v.cycle, &v.message)).collect::<Vec<_>>()
    );
}
