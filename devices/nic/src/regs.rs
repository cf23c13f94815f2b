//! The network adapter's register map (devices/nic/README.md, the source of truth being
//! `rtl/nic_regs.v` and `rtl/nic_pci_config.v`).

/// Config space: the MSI capability.
pub const CFG_MSI_CAP: u32 = 0x50;
/// BAR0: 4 KiB.
pub const BAR0_SIZE: u32 = 0x1000;

/// BAR0: CTRL: [0] TX_EN, [1] RX_EN, [2] LOOPBACK, [31] SOFT_RST.
pub const REG_CTRL: u32 = 0x004;
/// BAR0: STATUS: [0] LINK_UP, [1] TX_HALT, [2] RX_HALT, [3] DMA_BUSY, [4] GEN_RUN.
pub const REG_STATUS: u32 = 0x008;
/// BAR0: INT_STATUS, raw latched causes, write 1 to clear.
pub const REG_INT_STATUS: u32 = 0x010;
/// BAR0: INT_ENABLE.
pub const REG_INT_ENABLE: u32 = 0x014;
/// BAR0: INT_MODERATION: holdoff in clocks.
pub const REG_INT_MODERATION: u32 = 0x018;
/// BAR0: INT_CAUSE = INT_STATUS & INT_ENABLE (read only).
pub const REG_INT_CAUSE: u32 = 0x01C;
/// BAR0: TX ring base.
pub const REG_TX_BASE: u32 = 0x020;
/// BAR0: TX ring size (descriptors).
pub const REG_TX_SIZE: u32 = 0x024;
/// BAR0: TX head (device-owned, read only).
pub const REG_TX_HEAD: u32 = 0x028;
/// BAR0: TX tail (doorbell).
pub const REG_TX_TAIL: u32 = 0x02C;
/// BAR0: RX ring base.
pub const REG_RX_BASE: u32 = 0x030;
/// BAR0: RX ring size.
pub const REG_RX_SIZE: u32 = 0x034;
/// BAR0: RX head (device-owned).
pub const REG_RX_HEAD: u32 = 0x038;
/// BAR0: RX tail: one past the last free descriptor handed to the device.
pub const REG_RX_TAIL: u32 = 0x03C;
/// BAR0: LINK_CTRL: [0] wanted link state.
pub const REG_LINK_CTRL: u32 = 0x040;
/// BAR0: traffic generator control: [0] start, [1] stop.
pub const REG_GEN_CTRL: u32 = 0x044;
/// BAR0: generator frames still to inject.
pub const REG_GEN_COUNT: u32 = 0x048;
/// BAR0: bytes per generated frame.
pub const REG_GEN_LEN: u32 = 0x04C;
/// BAR0: generator pattern.
pub const REG_GEN_PATTERN: u32 = 0x050;
/// BAR0: clocks between generated frames.
pub const REG_GEN_INTERVAL: u32 = 0x054;
/// BAR0: frames written to host memory.
pub const REG_STAT_RX: u32 = 0x064;

/// CTRL bits.
pub const CTRL_TX_EN: u32 = 1 << 0;
/// CTRL: receive enable.
pub const CTRL_RX_EN: u32 = 1 << 1;
/// CTRL: transmit frames come back as receive frames.
pub const CTRL_LOOPBACK: u32 = 1 << 2;

/// Interrupt causes, by bit of INT_STATUS.
pub const INT_RX: u32 = 1 << 0;
/// A TX descriptor completed.
pub const INT_TX_DONE: u32 = 1 << 1;
/// The link changed.
pub const INT_LINK: u32 = 1 << 2;
/// A frame arrived with no free RX descriptor (dropped).
pub const INT_RX_NOBUF: u32 = 1 << 3;
/// A DMA access was aborted.
pub const INT_ERR: u32 = 1 << 4;
/// Every cause.
pub const INT_ALL: u32 = 0x1F;

/// Descriptor size in bytes: [0] buffer address, [1] length / buffer size, [2] status
/// written back ([31:16] length, [0] DONE), [3] completion count.
pub const DESC_BYTES: u32 = 16;
/// Descriptor status: written back by the device.
pub const DESC_DONE: u32 = 1 << 0;
