// dirql_pin_fault -- simulation only: a fault stage between the device's
// target drives and the resolved bus (dirql_pci_bus).
//
// Why it exists: a target's answer (DEVSEL#, TRDY#, STOP#, read data and its
// PAR) is driven by the target, so the host bridge, as master, cannot fake a
// target abort or a retry, and cannot show what the bus monitor does with an
// adapter whose pins break the protocol. This stage changes the device's
// drives on the way to the wires, on the harness's command, so that every
// fault is a real signal sequence on the bus, in the VCD, read by the same
// rules as any other run. The synthesizable RTL in rtl/ is untouched.
//
// Control: fault_i = host.fault = {arm, mode[2:0]}, registered by
// dirql_host_probe like every h_* input. It is sampled in the address phase
// of each transaction (PCI 3.0 3.3.1: the first clock of FRAME#); the mode
// then applies to that transaction (and to the clock after it) until the
// next address phase. The harness arms a single transaction by driving it
// together with FRAME# (target-abort, retry), or keeps it armed for a whole
// run (the broken-RTL variants).
//
// | mode | name           | what the bus shows                                        |
// |------|----------------|-----------------------------------------------------------|
// | 0    | none           | the device's own drives                                   |
// | 1    | target-abort   | DEVSEL# one clock, then STOP# with DEVSEL# deasserted      |
// |      |                | (3.3.3.2.1), held until FRAME# is deasserted; no data      |
// | 2    | retry          | STOP# with DEVSEL#, no TRDY#, in the first data phase      |
// |      |                | (3.3.3.2.2); no data                                      |
// | 3    | late-devsel    | mutant: DEVSEL# through one more flop than TRDY#: TRDY#    |
// |      |                | asserted a clock before DEVSEL#, DEVSEL# held a clock late |
// | 4    | read-par-no-cbe| mutant: PAR on read data covers AD only, not C/BE# (3.7.1);|
// |      |                | wrong on every read with an odd number of disabled bytes   |
// | 5    | no-turnaround  | mutant: AD enabled in the clock after the address phase of |
// |      |                | a read, the turnaround clock that belongs to no one (3.3.1)|
// | 6    | late-inta      | mutant: INTA# through two more flops on its way low (an    |
// |      |                | output synchronizer): asserted 2 clocks late, released on  |
// |      |                | time                                                      |
// | 7    | sticky-inta    | mutant: INTA# released 2 clocks after the device's own     |
// |      |                | level goes away (a hold stretcher): asserted on time      |
//
// Target abort and retry: the stage shows the device's DEVSEL# when the
// device claims (so a transaction nobody claims still master-aborts), then
// answers in its place, and hides IRDY# from the device from that clock on
// (dev_irdy_no), so the device never sees the data phase complete: an
// aborted or retried access has no effect in the adapter, as in a real
// target that refuses it (a retried write must not be performed once per
// re-issue). The device then takes its own "master gave up" path back to
// idle. Known limit: the adapter's Status register does not record
// "Signaled Target Abort" (bit 11), because that is set inside rtl/.
//
// Every output is combinational from flops only (the stage's, the device's
// and the host's registered drives), so no combinational loop runs through
// the resolved bus (see dirql_sim_top).
`default_nettype none

module dirql_pin_fault (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Control (host.fault): [3] arm, [2:0] mode
  input  wire [3:0]  fault_i,

  // The resolved bus, as every agent sees it
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire [3:0]  cbe_ni,

  // The device's drives (target and master merged, as the device drives them)
  input  wire [31:0] dev_ad_i,
  input  wire        dev_ad_oe_i,
  input  wire        dev_par_i,
  input  wire        dev_par_oe_i,
  input  wire        dev_trdy_ni,
  input  wire        dev_devsel_ni,
  input  wire        dev_stop_ni,
  input  wire        dev_ctl_oe_i,
  // The device claimed a read and drives its data from the next clock on
  // (a flop of the device, read by the wrapper; used by no-turnaround)
  input  wire        dev_read_claim_i,
  // The device's INTA# (open drain, low = asserted)
  input  wire        dev_inta_ni,

  // Toward the bus model
  output reg  [31:0] ad_o,
  output reg         ad_oe_o,
  output reg         par_o,
  output reg         par_oe_o,
  output reg         trdy_no,
  output reg         devsel_no,
  output reg         stop_no,
  output reg         ctl_oe_o,

  // IRDY# as the device sees it
  output reg         dev_irdy_no,
  // INTA# toward the wired line
  output reg         inta_no
);

  localparam [2:0] M_NONE          = 3'd0;
  localparam [2:0] M_TARGET_ABORT  = 3'd1;
  localparam [2:0] M_RETRY         = 3'd2;
  localparam [2:0] M_LATE_DEVSEL   = 3'd3;
  localparam [2:0] M_READ_PAR      = 3'd4;
  localparam [2:0] M_NO_TURNAROUND = 3'd5;
  localparam [2:0] M_LATE_INTA     = 3'd6;
  localparam [2:0] M_STICKY_INTA   = 3'd7;

  // Termination by the stage (target abort, retry).
  localparam [1:0] T_WAIT = 2'd0;  // before the device claims
  localparam [1:0] T_STOP = 2'd1;  // STOP# asserted until FRAME# is deasserted
  localparam [1:0] T_TURN = 2'd2;  // s/t/s driven high for one clock
  localparam [1:0] T_DONE = 2'd3;  // the device's own drives again

  // FRAME# of the previous clock: the address phase is the first clock of
  // FRAME# (as in pci_target).
  reg  frame_prev_q;
  wire addr_phase = !frame_ni && frame_prev_q;

  reg  [2:0]  mode_d,      mode_q;      // mode of the transaction in progress
  reg  [1:0]  term_d,      term_q;
  reg         devsel_dly_q;             // late-devsel: DEVSEL# one clock late
  reg         ctl_dly_q;
  reg  [3:0]  cbe_q;                    // C/BE# of the previous clock (PAR covers it)
  reg         tgt_ad_q;                 // the device drove AD as target last clock
  reg         early_q;                  // no-turnaround: AD was driven early last clock
  reg         early_par_q;              // even parity over last clock's AD and C/BE#
  reg  [1:0]  inta_dly_q;               // late-/sticky-inta: the device's INTA# 1 and 2 clocks ago

  // Next values of the pipeline flops above.
  wire        devsel_dly_d = dev_ctl_oe_i ? dev_devsel_ni : 1'b1;
  wire        tgt_ad_d     = dev_ad_oe_i && dev_ctl_oe_i;
  wire        early_d      = (mode_q == M_NO_TURNAROUND) && dev_read_claim_i;
  // (Computed only when it is needed: the stage is idle almost always, and this is
  // simulation time spent on every clock.)
  wire        early_par_d  = early_d ? ^{dev_ad_i, cbe_ni} : 1'b0;

  wire terminating = (mode_q == M_TARGET_ABORT) || (mode_q == M_RETRY);
  wire claims_now  = dev_ctl_oe_i && !dev_devsel_ni;

  always @* begin
    mode_d = mode_q;
    term_d = term_q;
    if (addr_phase) begin
      mode_d = fault_i[3] ? fault_i[2:0] : M_NONE;
      term_d = T_WAIT;
    end else if (terminating) begin
      case (term_q)
        T_WAIT: if (claims_now) begin
          // Retry answers in the claim clock; if that is already the final
          // data phase (FRAME# deasserted, IRDY# asserted) it completes now.
          if (mode_q == M_RETRY && frame_ni && !irdy_ni) term_d = T_TURN;
          else                                           term_d = T_STOP;
        end
        // The final phase completes (IRDY# with STOP#) in the first clock
        // with FRAME# deasserted; or the master has left the bus.
        T_STOP:  if (frame_ni) term_d = T_TURN;
        T_TURN:  term_d = T_DONE;
        default: term_d = T_DONE;
      endcase
    end
  end

  always @* begin
    // Defaults: the device's own drives.
    ad_o        = dev_ad_i;
    ad_oe_o     = dev_ad_oe_i;
    par_o       = dev_par_i;
    par_oe_o    = dev_par_oe_i;
    trdy_no     = dev_trdy_ni;
    devsel_no   = dev_devsel_ni;
    stop_no     = dev_stop_ni;
    ctl_oe_o    = dev_ctl_oe_i;
    dev_irdy_no = irdy_ni;
    inta_no     = dev_inta_ni;

    // One test while the stage is transparent (Verilator splits this block per output and
    // would otherwise decode the mode in each piece, on every clock).
    if (mode_q != M_NONE) case (mode_q)
      M_TARGET_ABORT, M_RETRY: begin
        case (term_q)
          T_WAIT: begin
            // The device's DEVSEL# goes out as it is; its TRDY# never does.
            trdy_no = 1'b1;
            stop_no = 1'b1;
            if (claims_now) begin
              dev_irdy_no = 1'b1;
              stop_no     = (mode_q != M_RETRY);
            end
          end
          T_STOP: begin
            ctl_oe_o    = 1'b1;
            trdy_no     = 1'b1;
            stop_no     = 1'b0;
            devsel_no   = (mode_q == M_TARGET_ABORT);
            dev_irdy_no = 1'b1;
          end
          T_TURN: begin
            // Sustained tri-state: drive high one clock, then release.
            ctl_oe_o    = 1'b1;
            trdy_no     = 1'b1;
            stop_no     = 1'b1;
            devsel_no   = 1'b1;
            dev_irdy_no = 1'b1;
          end
          default: ;
        endcase
      end
      M_LATE_DEVSEL: begin
        devsel_no = devsel_dly_q;
        ctl_oe_o  = dev_ctl_oe_i || ctl_dly_q;
      end
      M_READ_PAR: begin
        // The device's PAR covers AD and C/BE#; the mutant leaves C/BE# out.
        if (dev_par_oe_i && tgt_ad_q) par_o = dev_par_i ^ (^cbe_q);
      end
      M_LATE_INTA:   inta_no = dev_inta_ni | inta_dly_q[0] | inta_dly_q[1];
      M_STICKY_INTA: inta_no = dev_inta_ni & inta_dly_q[0] & inta_dly_q[1];
      M_NO_TURNAROUND: begin
        if (dev_read_claim_i) ad_oe_o = 1'b1;
        if (early_q) begin
          // PAR for the early clock, one clock later, as the device's own
          // PAR flop would drive it had its AD enable come early.
          par_oe_o = 1'b1;
          par_o    = early_par_q;
        end
      end
      default: ;
    endcase
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      frame_prev_q <= 1'b1;
      mode_q       <= M_NONE;
      term_q       <= T_DONE;
      devsel_dly_q <= 1'b1;
      ctl_dly_q    <= 1'b0;
      cbe_q        <= 4'hF;
      tgt_ad_q     <= 1'b0;
      early_q      <= 1'b0;
      early_par_q  <= 1'b0;
      inta_dly_q   <= 2'b11;
    end else begin
      frame_prev_q <= frame_ni;
      mode_q       <= mode_d;
      if (addr_phase || terminating) term_q <= term_d;
      // The pipelines of the RTL variants run only in their own mode (simulation time on
      // every clock otherwise, docs/perf.md). The mode changes only in an address phase,
      // when the adapter drives nothing, so what they hold from an earlier run of their
      // mode is the idle value they would have now.
      if (mode_q == M_LATE_DEVSEL) begin
        devsel_dly_q <= devsel_dly_d;
        ctl_dly_q    <= dev_ctl_oe_i;
      end
      if (mode_q == M_READ_PAR) begin
        cbe_q        <= cbe_ni;
        tgt_ad_q     <= tgt_ad_d;
      end
      if (mode_q == M_NO_TURNAROUND) begin
        early_q      <= early_d;
        early_par_q  <= early_par_d;
      end
      if (mode_q == M_LATE_INTA || mode_q == M_STICKY_INTA) begin
        inta_dly_q   <= {inta_dly_q[0], dev_inta_ni};
      end
    end
  end

endmodule

`default_nettype wire
