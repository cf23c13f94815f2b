//! The cxx bridge to the Verilated wrapper. Kept in a file of its own so that editing any
//! other Rust file does not regenerate (and recompile) the C++ side.

// Field meanings are the port table of docs/sim-interface.md, one field per port.
#[allow(missing_docs)]
#[cxx::bridge(namespace = "dirql")]
pub(crate) mod bridge {
    /// What the harness drives into `dirql_sim_top` for one clock (see
    /// `docs/sim-interface.md`). Active-low fields are 1 when released.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Drive {
        rst_n: u8,
        frame_n: u8,
        irdy_n: u8,
        cbe_n: u8,
        ad: u32,
        ad_oe: u8,
        par: u8,
        par_oe: u8,
        idsel: u8,
        trdy_n: u8,
        devsel_n: u8,
        stop_n: u8,
        gnt_n: u8,
        inta2_n: u8,
        fault: u8,
        cpu0_irql: u8,
        cpu1_irql: u8,
        cpu0_routine: u8,
        cpu1_routine: u8,
        cpu0_op: u8,
        cpu1_op: u8,
        isr_ret: u8,
        lock_owner: u8,
        pic: u8,
        bus_cpu: u8,
        /// Who issued the transaction on the bus ([`crate::Request::issuer`]; 0 = none).
        bus_issuer: u16,
        posted: u8,
        cpu0_note: u32,
        cpu1_note: u32,
        msi: u16,
        /// Bit N: CPU N runs a routine its caller synchronized with the ISR expecting
        /// exclusion (VpMedium/VpHighPriority, NdisMSynchronizeWithInterruptEx).
        exclusive: u8,
        /// Two-slot models only (ignored by the others): IDSEL and GNT# of slot 1, its
        /// ISR's return pulse, its interrupt lock's owner, and bit N = CPU N runs slot
        /// 1's driver code (docs/sim-interface.md, "Two slots").
        idsel1: u8,
        gnt1_n: u8,
        isr_ret1: u8,
        lock_owner1: u8,
        cpu_slot: u8,
        /// Host-RAM dword CPU 0 read this cycle, without the bus (`Cpu::host_read32`):
        /// address | 1 (bit 0 marks a read; 0 = none).
        cpu0_ram_read: u32,
        /// The same for CPU 1.
        cpu1_ram_read: u32,
        /// Device Memory Write data phases into host RAM that have reached it (left the
        /// bridge's upstream queue) since reset, wrapping.
        dma_landed: u16,
    }

    /// The wired bus as every agent sees it in the interval after a rising edge.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Bus {
        frame_n: u8,
        irdy_n: u8,
        trdy_n: u8,
        devsel_n: u8,
        stop_n: u8,
        cbe_n: u8,
        ad: u32,
        par: u8,
        ad_drivers: u8,
        req_n: u8,
        perr_n: u8,
        serr_n: u8,
        inta_n: u8,
        dev_inta_n: u8,
        dev_probe: [u32; 8],
    }

    /// Slot 1's outputs in a two-slot model, as they stand after the last clock: its
    /// REQ# and own INTA#, which slot drives AD (bit N), its probes (released / 0 in a
    /// one-slot model). Apart from [`Bus`], so that a one-slot run moves no more per clock.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Slot1Bus {
        req1_n: u8,
        dev1_inta_n: u8,
        slot_ad_oe: u8,
        dev1_probe: [u32; 8],
    }

    unsafe extern "C++" {
        include!("dirql-sim/cpp/model.h");

        type Model;

        /// The device model called `model`; traces to `path` unless it is empty: FST when
        /// `fst`, else VCD.
        fn new_model(model: &str, path: &str, fst: bool) -> Result<UniquePtr<Model>>;
        /// The device models this build holds, comma-separated.
        fn model_names() -> String;
        fn step(self: Pin<&mut Model>, d: &Drive) -> Bus;
        fn run_quiet(self: Pin<&mut Model>, d: &Drive, last: &Bus, max: u64, out: &mut Bus) -> u64;
        fn run_bare(self: Pin<&mut Model>, cycles: u64, reset: bool);
        /// Devices on the bus: 1, or 2 for a two-slot model.
        fn slots(self: &Model) -> u8;
        /// Slot 1's outputs after the last clock (released in a one-slot model).
        fn slot1(self: &Model) -> Slot1Bus;
        fn flush_trace(self: Pin<&mut Model>);
        fn close_trace(self: Pin<&mut Model>);
        fn cycles(self: &Model) -> u64;
        /// Empty, or why the waveform could not be written (naming the file and the cause).
        fn trace_error(self: &Model) -> String;
        /// Writes the model's line and toggle coverage (`coverage.dat`, Verilator's format)
        /// to `path`: empty, or why not (a model built without coverage says so).
        fn write_coverage(self: Pin<&mut Model>, path: &str) -> String;
    }
}
