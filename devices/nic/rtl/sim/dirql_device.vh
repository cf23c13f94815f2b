// The network adapter in dirql's simulation wrapper (rtl/sim/dirql_sim_top.v): which
// module is the device under test.
`define DIRQL_DUT dirql_nic
