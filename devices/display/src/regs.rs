//! The dirql adapter's register map, as the driver and the checkers use it. It must agree
//! with `rtl/dirql_regs.vh`, which the Verilog includes, and with `docs/registers.md`:
//! `tests::agrees_with_rtl` reads the .vh and fails on any name or value that differs or is
//! missing here, and `tests::docs_agree_with_rtl` does the same for the tables in the doc.

/// PCI Vendor ID of the adapter.
pub const VENDOR_ID: u16 = 0x1D1C;
/// PCI Device ID of the adapter.
pub const DEVICE_ID: u16 = 0x0A01;
/// PCI Revision ID.
pub const REVISION: u8 = 0x01;
/// Class code: VGA-compatible display controller.
pub const CLASS_CODE: u32 = 0x03_0000;
/// Interrupt Pin: INTA#.
pub const INT_PIN: u8 = 0x01;

/// Config space: Command (15:0) / Status (31:16).
pub const CFG_COMMAND: u32 = 0x04;
/// Config space: BAR0 (4 KiB MMIO registers).
pub const CFG_BAR0: u32 = 0x10;
/// Config space: BAR1 (32-byte I/O window onto the VGA ports 3C0h-3DFh).
pub const CFG_BAR1: u32 = 0x14;
/// Config space: BAR2 (prefetchable framebuffer).
pub const CFG_BAR2: u32 = 0x18;
/// Config space: Capabilities Pointer.
pub const CFG_CAP_PTR: u32 = 0x34;
/// Config space: Interrupt Line / Interrupt Pin.
pub const CFG_INTR: u32 = 0x3C;
/// Config space: MSI capability header (ID, next, Message Control).
pub const CFG_MSI_CAP: u32 = 0x40;
/// Config space: MSI Message Address.
pub const CFG_MSI_ADDR: u32 = 0x44;
/// Config space: MSI Message Data.
pub const CFG_MSI_DATA: u32 = 0x48;
/// Capability ID of MSI.
pub const MSI_CAP_ID: u8 = 0x05;
/// MSI Multiple Message Capable (log2 of the vectors requested).
pub const MSI_MMC: u32 = 3;

/// log2 of the BAR0 size.
pub const BAR0_SIZE_LOG2: u32 = 12;
/// log2 of the BAR1 (I/O) size.
pub const BAR1_SIZE_LOG2: u32 = 5;
/// log2 of the BAR2 (framebuffer) size.
pub const BAR2_SIZE_LOG2: u32 = 12;

/// BAR0 (4 KiB MMIO): identification register.
pub const REG_ID: u32 = 0x000;
/// BAR0: pending & enabled interrupts; write 1 to clear.
pub const REG_INT_STATUS: u32 = 0x004;
/// BAR0: interrupt enables.
pub const REG_INT_ENABLE: u32 = 0x008;
/// BAR0: latched interrupt sources, regardless of enable.
pub const REG_INT_RAW: u32 = 0x00C;
/// BAR0: scratch register.
pub const REG_SCRATCH: u32 = 0x010;
/// BAR0: cycles per frame as the CRTC is programmed (htotal * vtotal), read only.
pub const REG_FRAME_CYCLES: u32 = 0x020;
/// Former name of [`REG_FRAME_CYCLES`] (v0 had a writable period there).
pub const REG_FRAME_PERIOD: u32 = REG_FRAME_CYCLES;
/// BAR0: frames since reset.
pub const REG_FRAME_COUNT: u32 = 0x024;
/// BAR0: value of the last FENCE the command engine reached.
pub const REG_FENCE_VALUE: u32 = 0x030;
/// BAR0: command engine status: [0] busy, [1] stopped on error, [15:8] FIFO level.
pub const REG_CMD_STATUS: u32 = 0x034;
/// BAR0: command engine control: write [0] = 1 to reset the engine.
pub const REG_CMD_CONTROL: u32 = 0x038;
/// BAR0: FIFO low watermark.
pub const REG_FIFO_LOW_WM: u32 = 0x03C;
/// BAR0: writing [`SEQ_UNLOCK_KEY`] opens the timed programming window.
pub const REG_SEQ_UNLOCK: u32 = 0x040;
/// BAR0: timed window status: [0] open, [1] aborted, [2] committed, [15:8] writes.
pub const REG_SEQ_STATUS: u32 = 0x044;
/// BAR0: G, the largest gap in bus clocks between consecutive window writes.
pub const REG_SEQ_GAP: u32 = 0x048;
/// BAR0: MODE[0] of the mode block (MODE[n] at `REG_MODE0 + 4 * n`).
pub const REG_MODE0: u32 = 0x100;
/// BAR0: MODE[7]; writing it commits the mode block.
pub const REG_MODE7: u32 = 0x11C;
/// BAR0: first dword of the command FIFO window.
pub const REG_CMD_FIFO: u32 = 0x200;
/// BAR0: last dword of the command FIFO window.
pub const REG_CMD_FIFO_END: u32 = 0x2FC;

/// Value of REG_ID.
pub const REG_ID_VALUE: u32 = 0xD1C0_0001;
/// Former name of [`REG_ID_VALUE`].
pub const ID_VALUE: u32 = REG_ID_VALUE;
/// The key that opens the timed programming window.
pub const SEQ_UNLOCK_KEY: u32 = 0x5EC0_DE42;

/// Bit number: vertical retrace.
pub const INT_VBLANK_BIT: u32 = 0;
/// Bit number: command engine fence reached.
pub const INT_CMD_DONE_BIT: u32 = 1;
/// Bit number: command engine error.
pub const INT_CMD_ERROR_BIT: u32 = 2;
/// Bit number: command FIFO at or below its low watermark.
pub const INT_FIFO_LOW_BIT: u32 = 3;
/// Bit number: timed programming sequence aborted.
pub const INT_SEQ_ERROR_BIT: u32 = 4;
/// Number of interrupt sources.
pub const INT_NUM_BITS: u32 = 5;

/// Interrupt bit: vertical retrace.
pub const INT_VBLANK: u32 = 1 << INT_VBLANK_BIT;
/// Interrupt bit: command engine fence reached.
pub const INT_CMD_DONE: u32 = 1 << INT_CMD_DONE_BIT;
/// Interrupt bit: command engine error.
pub const INT_CMD_ERROR: u32 = 1 << INT_CMD_ERROR_BIT;
/// Interrupt bit: command FIFO below its low watermark.
pub const INT_FIFO_LOW: u32 = 1 << INT_FIFO_LOW_BIT;
/// Interrupt bit: timed programming sequence aborted.
pub const INT_SEQ_ERROR: u32 = 1 << INT_SEQ_ERROR_BIT;
/// Every interrupt source.
pub const INT_ALL: u32 = INT_VBLANK | INT_CMD_DONE | INT_CMD_ERROR | INT_FIFO_LOW | INT_SEQ_ERROR;

/// Command opcode (bits 31:24 of the first word): fill rectangle.
pub const OP_FILL: u32 = 0x01;
/// Command opcode: copy rectangle.
pub const OP_COPY: u32 = 0x02;
/// Command opcode: fence.
pub const OP_FENCE: u32 = 0x03;
/// Command FIFO depth in words.
pub const CMD_FIFO_DEPTH: u32 = 16;
/// Bytes per framebuffer row (pixels are 32-bit).
pub const FB_PITCH: u32 = 0x080;

/// BAR1 offset (port - 3C0h): W Misc Output, R Input Status 0.
pub const VGA_MISC_W_ISR0: u32 = 0x02;
/// BAR1: Sequencer index (3C4h).
pub const VGA_SEQ_INDEX: u32 = 0x04;
/// BAR1: Sequencer data (3C5h).
pub const VGA_SEQ_DATA: u32 = 0x05;
/// BAR1: DAC read index (3C7h).
pub const VGA_DAC_RINDEX: u32 = 0x07;
/// BAR1: DAC write index (3C8h).
pub const VGA_DAC_WINDEX: u32 = 0x08;
/// BAR1: DAC data (3C9h).
pub const VGA_DAC_DATA: u32 = 0x09;
/// BAR1: R Misc Output (3CCh).
pub const VGA_MISC_R: u32 = 0x0C;
/// BAR1: CRTC index (3D4h).
pub const VGA_CRTC_INDEX: u32 = 0x14;
/// BAR1: CRTC data (3D5h).
pub const VGA_CRTC_DATA: u32 = 0x15;
/// BAR1: Input Status 1 (3DAh).
pub const VGA_ISR1: u32 = 0x1A;

/// CRTC: horizontal total (characters = PCI clocks per line).
pub const CR_HTOTAL: u8 = 0x00;
/// CRTC: horizontal display end.
pub const CR_HDISP: u8 = 0x01;
/// CRTC: horizontal sync start.
pub const CR_HSS: u8 = 0x04;
/// CRTC: horizontal sync end.
pub const CR_HSE: u8 = 0x05;
/// CRTC: vertical total (lines per frame).
pub const CR_VTOTAL: u8 = 0x06;
/// CRTC: vertical sync start.
pub const CR_VSS: u8 = 0x10;
/// CRTC: vertical sync end [3:0] and the vertical interrupt controls.
pub const CR_VSE: u8 = 0x11;
/// CRTC: vertical display end.
pub const CR_VDISP: u8 = 0x12;
/// CR11 bit: 0 clears the vertical interrupt latch, 1 lets it latch again.
pub const CR11_REARM_BIT: u32 = 4;
/// CR11 bit: 1 disables the vertical interrupt.
pub const CR11_DISABLE_BIT: u32 = 5;
/// CR11 bit: 1 write-protects CR00-CR07.
pub const CR11_PROTECT_BIT: u32 = 7;

/// Default mode: horizontal total.
pub const DEF_HTOTAL: u32 = 50;
/// Default mode: horizontal display end.
pub const DEF_HDISP: u32 = 40;
/// Default mode: horizontal sync start.
pub const DEF_HSS: u32 = 42;
/// Default mode: horizontal sync end.
pub const DEF_HSE: u32 = 46;
/// Default mode: vertical total.
pub const DEF_VTOTAL: u32 = 40;
/// Default mode: vertical display end.
pub const DEF_VDISP: u32 = 30;
/// Default mode: vertical sync start.
pub const DEF_VSS: u32 = 32;
/// Default CR11: vsync end 2, latch armed, interrupt enabled, no protection.
pub const DEF_CR11: u32 = 0x12;

/// Cycles the adapter takes from the acknowledging write's data phase to INTA# released:
/// INTA# is combinational from the status flops, which update on the edge that completes
/// the phase, so the line is high in the very next interval.
pub const DISMISS_LATENCY_CYCLES: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `localparam [..] NAME = <width>'h<hex>;` and `localparam integer NAME = <dec>;`.
    fn rtl_params() -> BTreeMap<String, u64> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rtl/dirql_regs.vh");
        let text = std::fs::read_to_string(path).expect("rtl/dirql_regs.vh is readable");
        let mut m = BTreeMap::new();
        for line in text.lines() {
            let line = line.split("//").next().unwrap_or("").trim();
            let Some(rest) = line.strip_prefix("localparam") else { continue };
            let Some((lhs, rhs)) = rest.split_once('=') else { continue };
            let name = lhs.split_whitespace().last().unwrap_or("").to_string();
            let rhs = rhs.trim().trim_end_matches(';').replace('_', "");
            let v = if let Some((_, hex)) = rhs.split_once("'h") {
                u64::from_str_radix(hex, 16).ok()
            } else if let Some((_, dec)) = rhs.split_once("'d") {
                dec.parse().ok()
            } else {
                rhs.parse().ok()
            };
            let v = v.unwrap_or_else(|| panic!("rtl/dirql_regs.vh: cannot read the value of {name}"));
            m.insert(name, v);
        }
        m
    }

    /// Every constant of the map by its .vh name.
    fn rust_params() -> BTreeMap<&'static str, u64> {
        let l = |v: u32| u64::from(v);
        [
            ("VENDOR_ID", u64::from(VENDOR_ID)),
            ("DEVICE_ID", u64::from(DEVICE_ID)),
            ("REVISION", u64::from(REVISION)),
            ("CLASS_CODE", l(CLASS_CODE)),
            ("INT_PIN", u64::from(INT_PIN)),
            ("CFG_COMMAND", l(CFG_COMMAND)),
            ("CFG_BAR0", l(CFG_BAR0)),
            ("CFG_BAR1", l(CFG_BAR1)),
            ("CFG_BAR2", l(CFG_BAR2)),
            ("CFG_CAP_PTR", l(CFG_CAP_PTR)),
            ("CFG_INTR", l(CFG_INTR)),
            ("CFG_MSI_CAP", l(CFG_MSI_CAP)),
            ("CFG_MSI_ADDR", l(CFG_MSI_ADDR)),
            ("CFG_MSI_DATA", l(CFG_MSI_DATA)),
            ("MSI_CAP_ID", u64::from(MSI_CAP_ID)),
            ("MSI_MMC", l(MSI_MMC)),
            ("BAR0_SIZE_LOG2", l(BAR0_SIZE_LOG2)),
            ("BAR1_SIZE_LOG2", l(BAR1_SIZE_LOG2)),
            ("BAR2_SIZE_LOG2", l(BAR2_SIZE_LOG2)),
            ("REG_ID", l(REG_ID)),
            ("REG_INT_STATUS", l(REG_INT_STATUS)),
            ("REG_INT_ENABLE", l(REG_INT_ENABLE)),
            ("REG_INT_RAW", l(REG_INT_RAW)),
            ("REG_SCRATCH", l(REG_SCRATCH)),
            ("REG_FRAME_CYCLES", l(REG_FRAME_CYCLES)),
            ("REG_FRAME_COUNT", l(REG_FRAME_COUNT)),
            ("REG_FENCE_VALUE", l(REG_FENCE_VALUE)),
            ("REG_CMD_STATUS", l(REG_CMD_STATUS)),
            ("REG_CMD_CONTROL", l(REG_CMD_CONTROL)),
            ("REG_FIFO_LOW_WM", l(REG_FIFO_LOW_WM)),
            ("REG_SEQ_UNLOCK", l(REG_SEQ_UNLOCK)),
            ("REG_SEQ_STATUS", l(REG_SEQ_STATUS)),
            ("REG_SEQ_GAP", l(REG_SEQ_GAP)),
            ("REG_MODE0", l(REG_MODE0)),
            ("REG_MODE7", l(REG_MODE7)),
            ("REG_CMD_FIFO", l(REG_CMD_FIFO)),
            ("REG_CMD_FIFO_END", l(REG_CMD_FIFO_END)),
            ("REG_ID_VALUE", l(REG_ID_VALUE)),
            ("SEQ_UNLOCK_KEY", l(SEQ_UNLOCK_KEY)),
            ("INT_VBLANK_BIT", l(INT_VBLANK_BIT)),
            ("INT_CMD_DONE_BIT", l(INT_CMD_DONE_BIT)),
            ("INT_CMD_ERROR_BIT", l(INT_CMD_ERROR_BIT)),
            ("INT_FIFO_LOW_BIT", l(INT_FIFO_LOW_BIT)),
            ("INT_SEQ_ERROR_BIT", l(INT_SEQ_ERROR_BIT)),
            ("INT_NUM_BITS", l(INT_NUM_BITS)),
            ("OP_FILL", l(OP_FILL)),
            ("OP_COPY", l(OP_COPY)),
            ("OP_FENCE", l(OP_FENCE)),
            ("CMD_FIFO_DEPTH", l(CMD_FIFO_DEPTH)),
            ("FB_PITCH", l(FB_PITCH)),
            ("VGA_MISC_W_ISR0", l(VGA_MISC_W_ISR0)),
            ("VGA_SEQ_INDEX", l(VGA_SEQ_INDEX)),
            ("VGA_SEQ_DATA", l(VGA_SEQ_DATA)),
            ("VGA_DAC_RINDEX", l(VGA_DAC_RINDEX)),
            ("VGA_DAC_WINDEX", l(VGA_DAC_WINDEX)),
            ("VGA_DAC_DATA", l(VGA_DAC_DATA)),
            ("VGA_MISC_R", l(VGA_MISC_R)),
            ("VGA_CRTC_INDEX", l(VGA_CRTC_INDEX)),
            ("VGA_CRTC_DATA", l(VGA_CRTC_DATA)),
            ("VGA_ISR1", l(VGA_ISR1)),
            ("CR_HTOTAL", u64::from(CR_HTOTAL)),
            ("CR_HDISP", u64::from(CR_HDISP)),
            ("CR_HSS", u64::from(CR_HSS)),
            ("CR_HSE", u64::from(CR_HSE)),
            ("CR_VTOTAL", u64::from(CR_VTOTAL)),
            ("CR_VSS", u64::from(CR_VSS)),
            ("CR_VSE", u64::from(CR_VSE)),
            ("CR_VDISP", u64::from(CR_VDISP)),
            ("CR11_REARM_BIT", l(CR11_REARM_BIT)),
            ("CR11_DISABLE_BIT", l(CR11_DISABLE_BIT)),
            ("CR11_PROTECT_BIT", l(CR11_PROTECT_BIT)),
            ("DEF_HTOTAL", l(DEF_HTOTAL)),
            ("DEF_HDISP", l(DEF_HDISP)),
            ("DEF_HSS", l(DEF_HSS)),
            ("DEF_HSE", l(DEF_HSE)),
            ("DEF_VTOTAL", l(DEF_VTOTAL)),
            ("DEF_VDISP", l(DEF_VDISP)),
            ("DEF_VSS", l(DEF_VSS)),
            ("DEF_CR11", l(DEF_CR11)),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn agrees_with_rtl() {
        let rtl = rtl_params();
        let rust = rust_params();
        assert!(rtl.len() > 40, "read only {} names from rtl/dirql_regs.vh", rtl.len());
        for (name, v) in &rtl {
            assert_eq!(
                rust.get(name.as_str()),
                Some(v),
                "{name} in rtl/dirql_regs.vh differs from or is missing in adapter::regs"
            );
        }
        for name in rust.keys() {
            assert!(rtl.contains_key(*name), "{name} in adapter::regs is not in rtl/dirql_regs.vh");
        }
        // Values derived from the map, not listed there by name.
        assert_eq!(INT_ALL, (1 << INT_NUM_BITS) - 1);
        assert_eq!((REG_MODE7 - REG_MODE0) / 4, 7);
    }

    /// Rows of the form `| <hex offset> | `NAME` | ...` in docs/registers.md.
    fn doc_rows() -> BTreeMap<String, u64> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/registers.md");
        let text = std::fs::read_to_string(path).expect("docs/registers.md is readable");
        let mut m = BTreeMap::new();
        for line in text.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() < 4 || !cells[0].is_empty() {
                continue;
            }
            let Some(name) = cells[2].strip_prefix('`').and_then(|c| c.strip_suffix('`')) else { continue };
            let off = cells[1].trim_start_matches("0x").replace('_', "");
            let Ok(v) = u64::from_str_radix(&off, 16) else { continue };
            assert!(m.insert(name.to_string(), v).is_none(), "docs/registers.md lists {name} twice");
        }
        m
    }

    #[test]
    fn docs_agree_with_rtl() {
        let rtl = rtl_params();
        let doc = doc_rows();
        let documented = ["CFG_", "REG_", "VGA_", "CR_"];
        let mut n = 0;
        for (name, v) in &rtl {
            if !documented.iter().any(|p| name.starts_with(p)) || name.ends_with("_VALUE") {
                continue;
            }
            n += 1;
            assert_eq!(
                doc.get(name),
                Some(v),
                "{name} = {v:#x} in rtl/dirql_regs.vh: docs/registers.md differs or lacks it"
            );
        }
        assert!(n > 30, "only {n} offsets checked");
        for (name, v) in &doc {
            assert_eq!(rtl.get(name), Some(v), "docs/registers.md lists {name} = {v:#x}, rtl/dirql_regs.vh does not");
        }
    }
}
