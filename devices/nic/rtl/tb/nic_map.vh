// nic_map.vh -- the driver's view of the dirql network adapter's register
// map, as devices/nic/README.md documents it. The RTL holds its own copy
// where it decodes (nic_pci_config.v: identity and configuration layout;
// nic_regs.v: BAR0) because the lint and synthesis commands of the device
// take no include path; the bench reaches every register through this file,
// so a difference between the two fails the bench.
//
// Included inside the bench module; the unused-parameter lint is waived for
// this block only (the bench uses a subset).
/* verilator lint_off UNUSEDPARAM */

// ---------------------------------------------------------------------------
// Configuration space identity (PCI Local Bus Spec 3.0, 6.2.1)
// ---------------------------------------------------------------------------
localparam [15:0] NIC_VENDOR_ID  = 16'h1D1D;   // fictitious
localparam [15:0] NIC_DEVICE_ID  = 16'h0E01;
localparam [7:0]  NIC_REVISION   = 8'h01;
// Base class 02h (network controller), sub-class 00h (Ethernet), prog-if 00h
// (PCI 3.0 Appendix D).
localparam [23:0] NIC_CLASS_CODE = 24'h020000;
localparam [7:0]  NIC_INT_PIN    = 8'h01;      // INTA# (6.2.4)

// Configuration space byte offsets (6.1; 6.8.1 MSI capability).
localparam [7:0]  NCFG_COMMAND   = 8'h04;      // Command (15:0) / Status (31:16)
localparam [7:0]  NCFG_HDR       = 8'h0C;      // BIST / Header / Latency Timer / Cache Line
localparam [7:0]  NCFG_BAR0      = 8'h10;
localparam [7:0]  NCFG_CAP_PTR   = 8'h34;
localparam [7:0]  NCFG_INTR      = 8'h3C;      // Max_Lat / Min_Gnt / Int Pin / Int Line
localparam [7:0]  NCFG_MSI_CAP   = 8'h50;      // cap ID 05h, next 00h, Message Control
localparam [7:0]  NCFG_MSI_ADDR  = 8'h54;      // Message Address (32-bit)
localparam [7:0]  NCFG_MSI_DATA  = 8'h58;      // Message Data (15:0)
localparam [7:0]  NMSI_CAP_ID    = 8'h05;
// Multiple Message Capable = log2(4) (6.8.1.3): one message for each of
// RX, TX_DONE, LINK, RX_NOBUF; ERR (bit 4) shares message 4 & mask = 0.
localparam [2:0]  NMSI_MMC       = 3'd2;

// ---------------------------------------------------------------------------
// BAR0: 4 KiB memory, 32-bit, non-prefetchable. Byte offsets.
// ---------------------------------------------------------------------------
localparam [11:0] NREG_ID            = 12'h000;  // RO
localparam [11:0] NREG_CTRL          = 12'h004;  // RW (+ SOFT_RST, W1)
localparam [11:0] NREG_STATUS        = 12'h008;  // RO
localparam [11:0] NREG_INT_STATUS    = 12'h010;  // RW1C, raw latched causes
localparam [11:0] NREG_INT_ENABLE    = 12'h014;  // RW
localparam [11:0] NREG_INT_MOD       = 12'h018;  // RW, holdoff in clocks
localparam [11:0] NREG_INT_CAUSE     = 12'h01C;  // RO, INT_STATUS & INT_ENABLE
localparam [11:0] NREG_TX_BASE       = 12'h020;  // RW, [31:4]
localparam [11:0] NREG_TX_SIZE       = 12'h024;  // RW, descriptors, 0..256
localparam [11:0] NREG_TX_HEAD       = 12'h028;  // RO, device-owned
localparam [11:0] NREG_TX_TAIL       = 12'h02C;  // RW, doorbell
localparam [11:0] NREG_RX_BASE       = 12'h030;
localparam [11:0] NREG_RX_SIZE       = 12'h034;
localparam [11:0] NREG_RX_HEAD       = 12'h038;
localparam [11:0] NREG_RX_TAIL       = 12'h03C;
localparam [11:0] NREG_LINK_CTRL     = 12'h040;  // RW, [0] link enable
localparam [11:0] NREG_GEN_CTRL      = 12'h044;  // W1 [0] start, [1] stop; R [0] running
localparam [11:0] NREG_GEN_COUNT     = 12'h048;  // RW, frames still to inject
localparam [11:0] NREG_GEN_LEN       = 12'h04C;  // RW, bytes (clamped 1..NIC_MAX_FRAME)
localparam [11:0] NREG_GEN_PATTERN   = 12'h050;  // RW
localparam [11:0] NREG_GEN_INTERVAL  = 12'h054;  // RW, clocks between frames (0 = 1)
localparam [11:0] NREG_DMA_ERR_ADDR  = 12'h058;  // RO
localparam [11:0] NREG_DMA_ERR_INFO  = 12'h05C;  // RO
localparam [11:0] NREG_STAT_TX       = 12'h060;  // RO, frames transmitted
localparam [11:0] NREG_STAT_RX       = 12'h064;  // RO, frames written to host memory
localparam [11:0] NREG_STAT_NOBUF    = 12'h068;  // RO, frames dropped for no descriptor
localparam [11:0] NREG_STAT_MISSED   = 12'h06C;  // RO, frames dropped, receive queue full
localparam [11:0] NREG_DMA_CTRL      = 12'h070;  // RW, [3:0] burst limit in dwords (1..8)

localparam [31:0] NREG_ID_VALUE      = 32'hD1C2_0001;

// CTRL bits
localparam integer CTRL_TX_EN_BIT    = 0;
localparam integer CTRL_RX_EN_BIT    = 1;
localparam integer CTRL_LOOP_BIT     = 2;
localparam integer CTRL_SOFT_RST_BIT = 31;

// STATUS bits
localparam integer STAT_LINK_UP_BIT  = 0;
localparam integer STAT_TX_HALT_BIT  = 1;
localparam integer STAT_RX_HALT_BIT  = 2;
localparam integer STAT_DMA_BUSY_BIT = 3;
localparam integer STAT_GEN_RUN_BIT  = 4;

// Interrupt causes (INT_STATUS / INT_ENABLE / INT_CAUSE bit numbers; the MSI
// message number of a cause is its bit number masked to the enabled count).
localparam integer NINT_NUM_BITS     = 5;
localparam integer NINT_RX_BIT       = 0;
localparam integer NINT_TX_DONE_BIT  = 1;
localparam integer NINT_LINK_BIT     = 2;
localparam integer NINT_RX_NOBUF_BIT = 3;
localparam integer NINT_ERR_BIT      = 4;

// Descriptor (16 bytes, 16-byte aligned) and write-back status bits.
localparam integer DESC_DONE_BIT     = 0;   // dword 2 [0]
localparam integer DESC_TRUNC_BIT    = 1;   // RX: frame longer than the buffer
localparam integer DESC_LENERR_BIT   = 2;   // TX: length 0 or > NIC_MAX_FRAME, not sent
localparam integer DESC_NOLINK_BIT   = 3;   // TX: sent with the link down (lost on the wire)
localparam integer DESC_LOOP_BIT     = 4;   // RX: frame came from the TX loopback

// DMA_ERR_INFO bits
localparam integer DERR_MABORT_BIT   = 0;
localparam integer DERR_TABORT_BIT   = 1;
localparam integer DERR_TX_BIT       = 2;   // the faulting access was for the TX ring
localparam integer DERR_RX_BIT       = 3;   // ... for the RX ring

// Sizes
localparam integer NIC_MAX_FRAME     = 256;            // bytes
localparam integer NIC_FB_DWORDS     = NIC_MAX_FRAME / 4;
localparam integer NIC_MAX_BURST     = 8;              // dwords per transaction
localparam integer NIC_LINK_DELAY    = 16;             // clocks LINK_CTRL -> link state
localparam integer NIC_RXQ_DEPTH     = 4;              // frames the wire can queue

/* verilator lint_on UNUSEDPARAM */
