//! The dirql adapter's register map, as the driver and the checkers use it. It must agree
//! with `rtl/dirql_regs.vh`, which the Verilog includes; `tests::agrees_with_rtl` reads
//! that file and fails on any difference.

/// PCI Vendor ID of the adapter.
pub const VENDOR_ID: u16 = 0x1D1C;
/// PCI Device ID of the adapter.
pub const DEVICE_ID: u16 = 0x0A01;
/// Class code: VGA-compatible display controller.
pub const CLASS_CODE: u32 = 0x03_0000;

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
/// BAR0: cycles per frame of the timing generator.
pub const REG_FRAME_PERIOD: u32 = 0x020;
/// BAR0: frames since reset.
pub const REG_FRAME_COUNT: u32 = 0x024;

/// Value of REG_ID.
pub const ID_VALUE: u32 = 0xD1C0_0001;

/// Interrupt bit: vertical retrace.
pub const INT_VBLANK: u32 = 1 << 0;
/// Interrupt bit: command engine fence reached.
pub const INT_CMD_DONE: u32 = 1 << 1;
/// Interrupt bit: command engine error.
pub const INT_CMD_ERROR: u32 = 1 << 2;
/// Interrupt bit: command FIFO below its low watermark.
pub const INT_FIFO_LOW: u32 = 1 << 3;
/// Interrupt bit: timed programming sequence aborted.
pub const INT_SEQ_ERROR: u32 = 1 << 4;
/// Every interrupt source.
pub const INT_ALL: u32 = INT_VBLANK | INT_CMD_DONE | INT_CMD_ERROR | INT_FIFO_LOW | INT_SEQ_ERROR;

/// Cycles the adapter takes from the acknowledging write's data phase to INTA# released:
/// INTA# is combinational from the status flops, which update on the edge that completes
/// the phase, so the line is high in the very next interval.
pub const DISMISS_LATENCY_CYCLES: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// `localparam [..] NAME = <width>'h<hex>;` and `localparam integer NAME = <dec>;`.
    fn rtl_params() -> HashMap<String, u64> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rtl/dirql_regs.vh");
        let text = std::fs::read_to_string(path).expect("rtl/dirql_regs.vh is readable");
        let mut m = HashMap::new();
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
            if let Some(v) = v {
                m.insert(name, v);
            }
        }
        m
    }

    #[test]
    fn agrees_with_rtl() {
        let p = rtl_params();
        let want: &[(&str, u64)] = &[
            ("VENDOR_ID", u64::from(VENDOR_ID)),
            ("DEVICE_ID", u64::from(DEVICE_ID)),
            ("CLASS_CODE", u64::from(CLASS_CODE)),
            ("REG_ID", u64::from(REG_ID)),
            ("REG_INT_STATUS", u64::from(REG_INT_STATUS)),
            ("REG_INT_ENABLE", u64::from(REG_INT_ENABLE)),
            ("REG_INT_RAW", u64::from(REG_INT_RAW)),
            ("REG_SCRATCH", u64::from(REG_SCRATCH)),
            ("REG_FRAME_PERIOD", u64::from(REG_FRAME_PERIOD)),
            ("REG_FRAME_COUNT", u64::from(REG_FRAME_COUNT)),
            ("INT_VBLANK_BIT", 0),
            ("INT_CMD_DONE_BIT", 1),
            ("INT_CMD_ERROR_BIT", 2),
            ("INT_FIFO_LOW_BIT", 3),
            ("INT_SEQ_ERROR_BIT", 4),
        ];
        for (name, v) in want {
            assert_eq!(p.get(*name), Some(v), "{name} in rtl/dirql_regs.vh differs from adapter::regs");
        }
    }
}
