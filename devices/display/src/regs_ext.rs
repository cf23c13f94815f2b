//! The register-map names the miniport uses by path (`regs_ext::X`), all taken from
//! [`super::regs`] — which a test checks against `rtl/dirql_regs.vh` — or derived from it,
//! so that no offset or bit is written down twice. The few facts the .vh does not define
//! (the SEQ_STATUS commit bit, the driver-note encodings) come from docs/contracts.md.

use super::regs;

pub use regs::{
    CR_VSE, OP_FENCE, OP_FILL, REG_CMD_CONTROL, REG_CMD_FIFO, REG_CMD_STATUS, REG_FENCE_VALUE, REG_FIFO_LOW_WM,
    REG_MODE0, REG_SEQ_STATUS, REG_SEQ_UNLOCK, SEQ_UNLOCK_KEY, VGA_CRTC_DATA, VGA_CRTC_INDEX, VGA_DAC_DATA,
    VGA_DAC_WINDEX,
};

/// BAR1 offset of Input Status 0 (3C2h read; Miscellaneous Output on write).
pub const VGA_ISR0: u32 = regs::VGA_MISC_W_ISR0;
/// Number of MODE registers (MODE0 .. MODE7).
pub const MODE_WORDS: usize = ((regs::REG_MODE7 - regs::REG_MODE0) / 4 + 1) as usize;
/// CR11 bit 4: 0 clears the vertical interrupt latch, 1 lets it latch again.
pub const CR11_REARM: u8 = 1 << regs::CR11_REARM_BIT;
/// SEQ_STATUS bit 2: the last sequence committed (docs/contracts.md §1).
pub const SEQ_COMMITTED: u32 = 1 << 2;
/// Driver note kind 1 (docs/contracts.md §3): intended CRTC data write.
pub const NOTE_CRTC_WRITE: u32 = 1 << 28;
/// Driver note kind 2: validated burst sequence in progress ([15:0] writes).
pub const NOTE_BURST: u32 = 2 << 28;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_values_match_the_contract() {
        assert_eq!(MODE_WORDS, 8);
        assert_eq!(CR11_REARM, 0x10);
        assert_eq!(VGA_ISR0, 0x02);
    }
}
