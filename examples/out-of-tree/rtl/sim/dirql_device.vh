// The tick device in dirql's simulation wrapper: its top module.
`define DIRQL_DUT tick_dev
