//! Firmware-style PCI enumeration (what a BIOS does before the OS starts): read the IDs,
//! size and assign every BAR, set the Interrupt Line, walk the capability list, and enable
//! the decoders. Offsets are the type-0 header's (PCI Local Bus Spec 3.0, §6.1).

use crate::kernel::Cpu;
use dirql_sim::Routine;

/// Config-space offsets of the type-0 header.
pub mod cfg {
    /// Vendor ID (15:0), Device ID (31:16).
    pub const ID: u8 = 0x00;
    /// Command (15:0), Status (31:16).
    pub const COMMAND: u8 = 0x04;
    /// Revision (7:0), class code (31:8).
    pub const CLASS: u8 = 0x08;
    /// First BAR.
    pub const BAR0: u8 = 0x10;
    /// Capabilities pointer.
    pub const CAP_PTR: u8 = 0x34;
    /// Interrupt Line (7:0), Interrupt Pin (15:8).
    pub const INTERRUPT: u8 = 0x3C;
    /// Command: I/O Space.
    pub const CMD_IO: u32 = 1 << 0;
    /// Command: Memory Space.
    pub const CMD_MEMORY: u32 = 1 << 1;
    /// Command: Bus Master.
    pub const CMD_BUS_MASTER: u32 = 1 << 2;
    /// Command: Parity Error Response.
    pub const CMD_PARITY: u32 = 1 << 6;
    /// Command: Interrupt Disable.
    pub const CMD_INTX_DISABLE: u32 = 1 << 10;
    /// Status (in the upper half of dword 1): Interrupt Status.
    pub const STATUS_INTERRUPT: u32 = 1 << (16 + 3);
    /// Status: Capabilities List.
    pub const STATUS_CAP_LIST: u32 = 1 << (16 + 4);
    /// Capability ID of MSI.
    pub const CAP_ID_MSI: u8 = 0x05;
}

/// Kind of a BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// Memory space (32-bit).
    Memory {
        /// Prefetchable.
        prefetchable: bool,
    },
    /// I/O space.
    Io,
}

/// An assigned BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Assigned base address.
    pub base: u32,
    /// Size in bytes (a power of two).
    pub size: u32,
    /// Memory or I/O.
    pub kind: BarKind,
}

/// What enumeration found and assigned for the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciFunction {
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Class code (24 bits).
    pub class: u32,
    /// BARs 0..5 (`None` when unimplemented).
    pub bars: [Option<Bar>; 6],
    /// Interrupt Line as assigned (0xFF = none).
    pub interrupt_line: u8,
    /// Interrupt Pin (0 = none, 1 = INTA#).
    pub interrupt_pin: u8,
    /// Offset of the MSI capability, if present.
    pub msi_cap: Option<u8>,
}

/// Where enumeration places resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourcePlan {
    /// First address of the memory window.
    pub mem_base: u32,
    /// First address of the I/O window.
    pub io_base: u32,
    /// Interrupt Line to route INTA# to.
    pub irq_line: u8,
}

impl Default for ResourcePlan {
    fn default() -> Self {
        ResourcePlan { mem_base: 0xE000_0000, io_base: 0xC000, irq_line: 11 }
    }
}

impl ResourcePlan {
    /// The plan for the device in `slot` of a two-slot machine: windows of its own (slot 0
    /// gets the default ones), the same Interrupt Line (both devices' INTA# are one line).
    pub fn for_slot(slot: u8) -> Self {
        match slot {
            0 => ResourcePlan::default(),
            n => ResourcePlan {
                mem_base: 0xE000_0000 - u32::from(n) * 0x1000_0000,
                io_base: 0xC000 + u32::from(n) * 0x1000,
                ..ResourcePlan::default()
            },
        }
    }
}

/// Enumerates the device on the bus; `None` when nothing answers (master abort: all ones).
pub fn enumerate(cpu: &Cpu<'_>, plan: &ResourcePlan) -> Option<PciFunction> {
    let prev = cpu.enter(Routine::Bios);
    let f = enumerate_inner(cpu, plan);
    cpu.enter(prev);
    f
}

fn enumerate_inner(cpu: &Cpu<'_>, plan: &ResourcePlan) -> Option<PciFunction> {
    let id = cpu.config_read32(cfg::ID);
    if id & 0xFFFF == 0xFFFF {
        return None;
    }
    let class = cpu.config_read32(cfg::CLASS) >> 8;
    let mut bars = [None; 6];
    let (mut mem, mut io) = (plan.mem_base, plan.io_base);
    let mut command = 0;
    for (n, slot) in bars.iter_mut().enumerate() {
        let reg = cfg::BAR0 + 4 * n as u8;
        // Size probing (spec §6.2.5.1): write all ones, read back the writable mask.
        let orig = cpu.config_read32(reg);
        cpu.config_write32(reg, u32::MAX);
        let mask = cpu.config_read32(reg);
        cpu.config_write32(reg, orig);
        if mask == 0 || mask == u32::MAX {
            continue;
        }
        let (kind, size) = if mask & 1 == 1 {
            (BarKind::Io, (!(mask & !0x3)).wrapping_add(1) & 0xFFFF)
        } else {
            (BarKind::Memory { prefetchable: mask & 0x8 != 0 }, (!(mask & !0xF)).wrapping_add(1))
        };
        if size == 0 {
            continue;
        }
        let cursor = if kind == BarKind::Io { &mut io } else { &mut mem };
        let base = cursor.div_ceil(size) * size;
        *cursor = base + size;
        cpu.config_write32(reg, base);
        command |= if kind == BarKind::Io { cfg::CMD_IO } else { cfg::CMD_MEMORY };
        *slot = Some(Bar { base, size, kind });
    }
    let int = cpu.config_read32(cfg::INTERRUPT);
    let pin = (int >> 8) as u8;
    let line = if pin != 0 { plan.irq_line } else { 0xFF };
    cpu.config_write32(cfg::INTERRUPT, (int & !0xFF) | u32::from(line));
    let status_command = cpu.config_read32(cfg::COMMAND);
    let mut msi_cap = None;
    if status_command & cfg::STATUS_CAP_LIST != 0 {
        let mut ptr = (cpu.config_read32(cfg::CAP_PTR) & 0xFC) as u8;
        let mut hops = 0;
        while ptr != 0 && hops < 48 {
            let cap = cpu.config_read32(ptr);
            if cap as u8 == cfg::CAP_ID_MSI {
                msi_cap = Some(ptr);
            }
            ptr = ((cap >> 8) & 0xFC) as u8;
            hops += 1;
        }
    }
    cpu.config_write32(cfg::COMMAND, (status_command & 0xFFFF) | command);
    Some(PciFunction {
        vendor: id as u16,
        device: (id >> 16) as u16,
        class,
        bars,
        interrupt_line: line,
        interrupt_pin: pin,
        msi_cap,
    })
}
