// dirql_regs.vh -- the one register map of the dirql display adapter.
//
// Included *inside* module bodies (`include "dirql_regs.vh"), so every name
// below is a module-local localparam. The Rust side mirrors these values by
// name (INT_STATUS_OFFSET, INT_VBLANK_BIT, ...); change them here first.
//
// Every includer uses only a subset of the map, so the unused-parameter lint
// is waived for this block only (Verilator -Wall would otherwise flag each
// constant a given module does not need).
/* verilator lint_off UNUSEDPARAM */

// ---------------------------------------------------------------------------
// Configuration space identity (PCI Local Bus Spec 3.0, 6.2.1)
// ---------------------------------------------------------------------------
localparam [15:0] VENDOR_ID  = 16'h1D1C;
localparam [15:0] DEVICE_ID  = 16'h0A01;
localparam [7:0]  REVISION   = 8'h01;
// Base class 03h (display controller), sub-class 00h (VGA-compatible),
// programming interface 00h (PCI 3.0 Appendix D).
localparam [23:0] CLASS_CODE = 24'h030000;
// Interrupt Pin 01h = INTA# (6.2.4).
localparam [7:0]  INT_PIN    = 8'h01;

// ---------------------------------------------------------------------------
// BAR0: 4 KiB, 32-bit, non-prefetchable memory (6.2.5.1)
// ---------------------------------------------------------------------------
localparam integer BAR0_SIZE_LOG2 = 12;

// Byte offsets within BAR0.
localparam [11:0] REG_ID           = 12'h000; // RO  identification word
localparam [11:0] REG_INT_STATUS   = 12'h004; // R: RAW & ENABLE, W1C latched bits
localparam [11:0] REG_INT_ENABLE   = 12'h008; // RW  bits [4:0]
localparam [11:0] REG_INT_RAW      = 12'h00C; // RO  latched events, all sources
localparam [11:0] REG_SCRATCH      = 12'h010; // RW  32 bits
localparam [11:0] REG_FRAME_PERIOD = 12'h020; // RW  cycles per frame, min 16
localparam [11:0] REG_FRAME_COUNT  = 12'h024; // RO  frames completed since reset

localparam [31:0] REG_ID_VALUE       = 32'hD1C0_0001;
localparam [31:0] FRAME_PERIOD_MIN   = 32'd16;

// ---------------------------------------------------------------------------
// Interrupt bits (same position in INT_STATUS, INT_ENABLE and INT_RAW)
// ---------------------------------------------------------------------------
localparam integer INT_VBLANK_BIT    = 0; // end of frame (vga_timing)
localparam integer INT_CMD_DONE_BIT  = 1; // reserved: no source in v0
localparam integer INT_CMD_ERROR_BIT = 2; // reserved: no source in v0
localparam integer INT_FIFO_LOW_BIT  = 3; // reserved: no source in v0
localparam integer INT_SEQ_ERROR_BIT = 4; // reserved: no source in v0
localparam integer INT_NUM_BITS      = 5;

/* verilator lint_on UNUSEDPARAM */
