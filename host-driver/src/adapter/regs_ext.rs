//! Register-map constants from docs/contracts.md §1 that `regs.rs` (owned with the RTL,
//! checked against `rtl/dirql_regs.vh`) does not have yet on this branch. Once the RTL's
//! map lands in `regs.rs`, these should move there and this file go away; until then the
//! miniport uses them by path (`regs_ext::X`) so the two never clash.

/// BAR0: value of the last fence the command engine reached.
pub const REG_FENCE_VALUE: u32 = 0x030;
/// BAR0: [0] busy, [1] stopped on error, [15:8] FIFO level.
pub const REG_CMD_STATUS: u32 = 0x034;
/// BAR0: [0] 1 = reset the engine.
pub const REG_CMD_CONTROL: u32 = 0x038;
/// BAR0: FIFO_LOW watermark.
pub const REG_FIFO_LOW_WM: u32 = 0x03C;
/// BAR0: writing [`SEQ_UNLOCK_KEY`] opens the timed window.
pub const REG_SEQ_UNLOCK: u32 = 0x040;
/// BAR0: [0] open, [1] last aborted, [2] last committed, [15:8] writes accepted.
pub const REG_SEQ_STATUS: u32 = 0x044;
/// BAR0: MODE[0..7] (window only); writing MODE[7] in an unbroken sequence commits.
pub const REG_MODE0: u32 = 0x100;
/// BAR0: the command FIFO window (any dword pushes one word).
pub const REG_CMD_FIFO: u32 = 0x200;
/// The timed window's key.
pub const SEQ_UNLOCK_KEY: u32 = 0x5EC0_DE42;
/// SEQ_STATUS: last sequence committed.
pub const SEQ_COMMITTED: u32 = 1 << 2;
/// Number of MODE registers.
pub const MODE_WORDS: usize = 8;

/// Command opcode FILL ([31:24]).
pub const OP_FILL: u32 = 0x01;
/// Command opcode FENCE.
pub const OP_FENCE: u32 = 0x03;

/// BAR1 offsets (port - 0x3C0): Input Status 0 (read).
pub const VGA_ISR0: u32 = 0x02;
/// DAC write index (3C8h).
pub const VGA_DAC_WINDEX: u32 = 0x08;
/// DAC data (3C9h).
pub const VGA_DAC_DATA: u32 = 0x09;
/// CRTC index (3D4h).
pub const VGA_CRTC_INDEX: u32 = 0x14;
/// CRTC data (3D5h).
pub const VGA_CRTC_DATA: u32 = 0x15;

/// CR11: vertical sync end, vertical interrupt clear/enable, protect.
pub const CR_VSE: u8 = 0x11;
/// CR11 bit 4: 0 clears the vertical interrupt latch, 1 lets it latch again.
pub const CR11_REARM: u8 = 1 << 4;

/// Driver note kind 1 (docs/contracts.md §3): intended CRTC data write.
pub const NOTE_CRTC_WRITE: u32 = 1 << 28;
/// Driver note kind 2: validated burst sequence in progress ([15:0] writes).
pub const NOTE_BURST: u32 = 2 << 28;
