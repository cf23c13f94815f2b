// dirql_regs.vh -- the one register map of the dirql display adapter.
//
// Included *inside* module bodies (`include "dirql_regs.vh"), so every name
// below is a module-local localparam. The Rust side mirrors these values by
// name (REG_INT_STATUS, INT_VBLANK_BIT, ...) and docs/registers.md lists them;
// tests in devices/display/src/regs.rs fail on any difference. Change them
// here first (and docs/contracts.md when the contract changes).
//
// Format kept simple for those tests: one `localparam [..] NAME = <w>'h<hex>;`
// or `localparam integer NAME = <dec>;` per line.
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

// Configuration space byte offsets (6.1, Figure 6-1; 6.8.1 MSI capability).
localparam [7:0]  CFG_COMMAND     = 8'h04;  // Command (15:0) / Status (31:16)
localparam [7:0]  CFG_BAR0        = 8'h10;
localparam [7:0]  CFG_BAR1        = 8'h14;
localparam [7:0]  CFG_BAR2        = 8'h18;
localparam [7:0]  CFG_CAP_PTR     = 8'h34;
localparam [7:0]  CFG_INTR        = 8'h3C;  // Interrupt Line / Pin
localparam [7:0]  CFG_MSI_CAP     = 8'h40;  // cap ID 05h, next 00h, Message Control
localparam [7:0]  CFG_MSI_ADDR    = 8'h44;  // Message Address (32-bit, dword aligned)
localparam [7:0]  CFG_MSI_DATA    = 8'h48;  // Message Data (15:0)
localparam [7:0]  MSI_CAP_ID      = 8'h05;
// Multiple Message Capable = log2(8): one vector per interrupt source (5 used).
localparam integer MSI_MMC        = 3;

// ---------------------------------------------------------------------------
// BARs (6.2.5.1)
// ---------------------------------------------------------------------------
localparam integer BAR0_SIZE_LOG2 = 12;  // 4 KiB memory, non-prefetchable
localparam integer BAR1_SIZE_LOG2 = 5;   // 32-byte I/O window onto ports 3C0h-3DFh
localparam integer BAR2_SIZE_LOG2 = 12;  // 4 KiB prefetchable memory: the framebuffer

// ---------------------------------------------------------------------------
// BAR0 byte offsets
// ---------------------------------------------------------------------------
localparam [11:0] REG_ID           = 12'h000; // RO  identification word
localparam [11:0] REG_INT_STATUS   = 12'h004; // R: RAW & ENABLE, W1C latched bits
localparam [11:0] REG_INT_ENABLE   = 12'h008; // RW  bits [4:0]
localparam [11:0] REG_INT_RAW      = 12'h00C; // RO  latched events, all sources
localparam [11:0] REG_SCRATCH      = 12'h010; // RW  32 bits
localparam [11:0] REG_FRAME_CYCLES = 12'h020; // RO  htotal * vtotal as programmed
localparam [11:0] REG_FRAME_COUNT  = 12'h024; // RO  frames (retraces) since reset
localparam [11:0] REG_FENCE_VALUE  = 12'h030; // RO  last fence reached
localparam [11:0] REG_CMD_STATUS   = 12'h034; // RO  [0] busy [1] stopped [15:8] level
localparam [11:0] REG_CMD_CONTROL  = 12'h038; // W   [0] reset the engine
localparam [11:0] REG_FIFO_LOW_WM  = 12'h03C; // RW  FIFO_LOW threshold
localparam [11:0] REG_SEQ_UNLOCK   = 12'h040; // W   key opens the timed window
localparam [11:0] REG_SEQ_STATUS   = 12'h044; // RO  [0] open [1] aborted [2] committed [15:8] n
localparam [11:0] REG_SEQ_GAP      = 12'h048; // RO  G
localparam [11:0] REG_MODE0        = 12'h100; // W   MODE[0..7] at 100h..11Ch (window only)
localparam [11:0] REG_MODE7        = 12'h11C; // W   writing it commits the mode block
localparam [11:0] REG_CMD_FIFO     = 12'h200; // W   200h..2FCh: push one command word
localparam [11:0] REG_CMD_FIFO_END = 12'h2FC; // last dword of the CMD_FIFO window

localparam [31:0] REG_ID_VALUE   = 32'hD1C0_0001;
localparam [31:0] SEQ_UNLOCK_KEY = 32'h5EC0_DE42;

// ---------------------------------------------------------------------------
// Interrupt bits (same position in INT_STATUS, INT_ENABLE and INT_RAW; also
// the MSI vector number of each source)
// ---------------------------------------------------------------------------
localparam integer INT_VBLANK_BIT    = 0; // vertical retrace (VGA latch, CR11)
localparam integer INT_CMD_DONE_BIT  = 1; // command engine reached a FENCE
localparam integer INT_CMD_ERROR_BIT = 2; // unknown opcode: engine stopped
localparam integer INT_FIFO_LOW_BIT  = 3; // FIFO level fell to FIFO_LOW_WM
localparam integer INT_SEQ_ERROR_BIT = 4; // timed window aborted on a gap
localparam integer INT_NUM_BITS      = 5;

// ---------------------------------------------------------------------------
// Command engine
// ---------------------------------------------------------------------------
localparam [7:0]  OP_FILL  = 8'h01; // dst, width | height << 16, colour
localparam [7:0]  OP_COPY  = 8'h02; // src, dst, width | height << 16
localparam [7:0]  OP_FENCE = 8'h03; // value
localparam integer CMD_FIFO_DEPTH = 16;   // words
localparam [11:0] FB_PITCH = 12'h080;     // bytes per framebuffer row (32 pixels)

// ---------------------------------------------------------------------------
// BAR1: VGA I/O ports, byte offset = port - 3C0h
// ---------------------------------------------------------------------------
localparam [4:0] VGA_MISC_W_ISR0 = 5'h02; // 3C2h W: Misc Output, R: Input Status 0
localparam [4:0] VGA_SEQ_INDEX   = 5'h04; // 3C4h
localparam [4:0] VGA_SEQ_DATA    = 5'h05; // 3C5h
localparam [4:0] VGA_DAC_RINDEX  = 5'h07; // 3C7h W: DAC read index
localparam [4:0] VGA_DAC_WINDEX  = 5'h08; // 3C8h W: DAC write index
localparam [4:0] VGA_DAC_DATA    = 5'h09; // 3C9h R,G,B auto-increment
localparam [4:0] VGA_MISC_R      = 5'h0C; // 3CCh R: Misc Output
localparam [4:0] VGA_CRTC_INDEX  = 5'h14; // 3D4h
localparam [4:0] VGA_CRTC_DATA   = 5'h15; // 3D5h
localparam [4:0] VGA_ISR1        = 5'h1A; // 3DAh R: Input Status 1

// CRTC register numbers (timing unit: one PCI clock per character).
localparam [7:0] CR_HTOTAL   = 8'h00;
localparam [7:0] CR_HDISP    = 8'h01;
localparam [7:0] CR_HSS      = 8'h04;
localparam [7:0] CR_HSE      = 8'h05;
localparam [7:0] CR_VTOTAL   = 8'h06;
localparam [7:0] CR_VSS      = 8'h10;
localparam [7:0] CR_VSE      = 8'h11; // [3:0] vsync end, [4] clear/re-arm, [5] disable, [7] protect
localparam [7:0] CR_VDISP    = 8'h12;
localparam integer CR11_REARM_BIT   = 4;
localparam integer CR11_DISABLE_BIT = 5;
localparam integer CR11_PROTECT_BIT = 7;

// Default mode: 50 x 40 characters = 2000 clocks per frame.
localparam [7:0] DEF_HTOTAL = 8'd50;
localparam [7:0] DEF_HDISP  = 8'd40;
localparam [7:0] DEF_HSS    = 8'd42;
localparam [7:0] DEF_HSE    = 8'd46;
localparam [7:0] DEF_VTOTAL = 8'd40;
localparam [7:0] DEF_VDISP  = 8'd30;
localparam [7:0] DEF_VSS    = 8'd32;
localparam [7:0] DEF_CR11   = 8'h12;  // vsync end 2 (line 34), latch armed, interrupt enabled

/* verilator lint_on UNUSEDPARAM */
