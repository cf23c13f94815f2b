// The display adapter in dirql's simulation wrapper (rtl/sim/dirql_sim_top.v): which
// module is the device under test. Included before the wrapper's module; the wrapper
// instantiates `DIRQL_DUT as `dut` with the PCI pin contract of docs/sim-interface.md.
`define DIRQL_DUT dirql_adapter
