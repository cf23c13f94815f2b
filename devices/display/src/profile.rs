//! The facts the generic rules need about the display adapter, declared once beside its
//! register map (docs/contracts.md §1 and §2), and how its probes show its interrupt state.

use dirql_sim::{Command, Frame, PERIOD_NS};
use dirql_testbenches::check::{
    io_byte, BarDecl, DataPhase, DeviceProfile, Target, Window, DPC_BUDGET_NS, ISR_BUDGET_NS,
};

use crate::regs;

/// The adapter's probes by index (docs/contracts.md §2): the names the waveform and the
/// excerpts show.
pub const PROBES: [&str; 8] =
    ["int_raw", "int_enable", "crtc_index", "seq_window", "fifo_level", "cr11", "crtc_write", "dev_events"];

/// Interrupt sources, by bit of INT_STATUS (contracts.md §1).
pub const SOURCE_NAMES: [&str; 5] = ["VBLANK", "CMD_DONE", "CMD_ERROR", "FIFO_LOW", "SEQ_ERROR"];

/// The display adapter's profile.
pub static PROFILE: DeviceProfile = DeviceProfile {
    ack_name: "INT_STATUS",
    // BAR0 4 KiB MMIO registers, BAR1 the 32-byte VGA I/O window, BAR2 the framebuffer.
    bars: &[
        Some(BarDecl { size: 1 << regs::BAR0_SIZE_LOG2, io: false }),
        Some(BarDecl { size: 1 << regs::BAR1_SIZE_LOG2, io: true }),
        Some(BarDecl { size: 1 << regs::BAR2_SIZE_LOG2, io: false }),
    ],
    acknowledges,
    benign_reads: &[Target::Bar(0, regs::REG_INT_ENABLE)],
    register_name,
    default_dirql: 3,
    delivery_bound: 1000,
    // Vector = base | source bit, all 8 messages granted (registers.md).
    msi_source_mask: 7,
    sources: &SOURCE_NAMES,
    latched: |f| f.dev[0],
    raw,
    enabled,
    events,
    held_events,
    pending,
    status_shows,
    msi_cap_offset: Some(regs::CFG_MSI_CAP),
    // rtl/dirql_irq.v: the pending level is combinational from flops, so INTA# falls in
    // the interval after the latching edge and rises in the interval after the
    // acknowledging data phase.
    assert_latency: 1,
    dismiss_latency: 1,
    isr_budget_cycles: ISR_BUDGET_NS / PERIOD_NS,
    dpc_budget_cycles: DPC_BUDGET_NS / PERIOD_NS,
    // The DPC does the retrace's work (and completes fences, miniport.rs `dpc`): it must run
    // within the frame it belongs to, so half a frame of the mode every scenario runs
    // (htotal 50 x vtotal 40 = 2000 clocks, contracts.md §1), not the generic DPC budget
    // (3333 clocks, more than a frame). The reference's DPCs start at most ~300 clocks after
    // their ISR returns (a VpHighPriority routine at DISPATCH_LEVEL ahead of them, reactos
    // on one CPU).
    dpc_latency_cycles: 1_000,
    deferred_sources: regs::INT_VBLANK | regs::INT_CMD_DONE,
    // INT_ENABLE is probe 1 (contracts.md §2).
    rw_probes: &[(Target::Bar(0, regs::REG_INT_ENABLE), 1, regs::INT_ALL)],
    isr_shared: &[
        Target::Bar(0, regs::REG_INT_STATUS),
        Target::Bar(0, regs::REG_INT_ENABLE),
        Target::Bar(1, regs::VGA_CRTC_INDEX & !3),
    ],
    timed_window: Some(timed_window),
    probes: &PROBES,
    roles: &[("@gates", &["cr11"]), ("@window", &["seq_window"])],
    // No descriptors in host memory.
    rings: &[],
    // A fence waited for, a mode set: the longest seen over 160 reference runs of mode-set and
    // msi (seeds 1-40, 1 and 2 CPUs) took 367 cycles, issue to completion; the driver's own
    // fence wait gives up after 10 polls of 200 cycles. The bound leaves a wide margin.
    request_budget_cycles: 10_000,
};

/// The retrace latch is held clear while CR11[4] = 0 (contracts.md §1), from the clock the
/// CR11 write lands, while the INT_RAW probe shows the latch's flop a clock later.
fn raw(f: &Frame) -> u32 {
    f.dev[0] & regs::INT_ALL & !vblank_held(f)
}

/// The retrace source while CR11[4] = 0 holds its latch clear, else nothing.
fn vblank_held(f: &Frame) -> u32 {
    if f.dev[5] & (1 << regs::CR11_REARM_BIT) == 0 {
        regs::INT_VBLANK
    } else {
        0
    }
}

/// Probe 7: the interrupt block's source inputs; the retrace latches only with CR11[4] = 1.
fn events(f: &Frame) -> u32 {
    f.dev[7] & regs::INT_ALL & !vblank_held(f)
}

/// Probe 7's retrace event while CR11[4] = 0 holds its latch clear and CR11[5] = 0 leaves
/// the retrace interrupt on: an event the driver's hold throws away.
fn held_events(f: &Frame) -> u32 {
    let on = f.dev[5] & (1 << regs::CR11_DISABLE_BIT) == 0;
    if on {
        f.dev[7] & vblank_held(f)
    } else {
        0
    }
}

fn enabled(f: &Frame) -> u32 {
    f.dev[1] & regs::INT_ALL
}

/// INT_RAW & INT_ENABLE, the retrace only while CR11[5] = 0 (contracts.md §1).
fn pending(f: &Frame) -> u32 {
    let gate = if f.dev[5] & (1 << regs::CR11_DISABLE_BIT) != 0 { !regs::INT_VBLANK } else { u32::MAX };
    raw(f) & enabled(f) & gate
}

/// INT_STATUS and INT_RAW show the sources by bit; Input Status 0 (3C2h) shows the
/// retrace in bit 7.
fn status_shows(t: Target, data: u32, be: u8) -> Option<u32> {
    match t {
        Target::Bar(0, regs::REG_INT_STATUS | regs::REG_INT_RAW) => Some(data & regs::INT_ALL),
        Target::Bar(1, o) if o & !3 == regs::VGA_MISC_W_ISR0 & !3 => {
            let lane = regs::VGA_MISC_W_ISR0 & 3;
            (be & (1 << lane) != 0).then(|| if (data >> (8 * lane)) & 0x80 != 0 { regs::INT_VBLANK } else { 0 })
        }
        _ => None,
    }
}

/// A non-zero write-1-to-clear to INT_STATUS acknowledges the bits written 1; the VGA way, a
/// write of CR11 with bit 4 = 0 through the CRTC data port while the CRTC index (tracked in
/// `index`, from the index port's writes) is 11h, acknowledges the retrace.
fn acknowledges(index: &mut u32, t: Target, ph: &DataPhase) -> u32 {
    match t {
        Target::Bar(0, regs::REG_INT_STATUS)
            if matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate)) =>
        {
            ph.data
        }
        Target::Bar(1, off) if ph.cmd == Some(Command::IoWrite) => {
            // Index and data may come in one word write: the index lane applies first.
            if let Some(i) = io_byte(ph, off, regs::VGA_CRTC_INDEX) {
                *index = 0x100 | u32::from(i);
            }
            let cr11 = *index == 0x100 | u32::from(regs::CR_VSE);
            match io_byte(ph, off, regs::VGA_CRTC_DATA) {
                Some(d) if cr11 && u32::from(d) & (1 << regs::CR11_REARM_BIT) == 0 => regs::INT_VBLANK,
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// BAR0 registers by offset and name; BAR1 as the VGA port it is, and its name (the names
/// of docs/registers.md; an offset the map does not name keeps only its number).
fn register_name(t: Target) -> Option<String> {
    let named = |head: String, name: Option<&str>| Some(name.map_or_else(|| head.clone(), |n| format!("{head} {n}")));
    match t {
        Target::Bar(0, o) => named(format!("BAR0+{o:#05x}"), bar0_name(o)),
        Target::Bar(1, o) => named(format!("I/O port {:03X}h", 0x3C0 + o), port_name(o)),
        _ => None,
    }
}

/// A BAR0 register's name (regs.rs).
fn bar0_name(o: u32) -> Option<&'static str> {
    Some(match o {
        regs::REG_ID => "ID",
        regs::REG_INT_STATUS => "INT_STATUS",
        regs::REG_INT_ENABLE => "INT_ENABLE",
        regs::REG_INT_RAW => "INT_RAW",
        regs::REG_SCRATCH => "SCRATCH",
        regs::REG_FRAME_CYCLES => "FRAME_CYCLES",
        regs::REG_FRAME_COUNT => "FRAME_COUNT",
        regs::REG_FENCE_VALUE => "FENCE_VALUE",
        regs::REG_CMD_STATUS => "CMD_STATUS",
        regs::REG_CMD_CONTROL => "CMD_CONTROL",
        regs::REG_FIFO_LOW_WM => "FIFO_LOW_WM",
        regs::REG_SEQ_UNLOCK => "SEQ_UNLOCK",
        regs::REG_SEQ_STATUS => "SEQ_STATUS",
        regs::REG_SEQ_GAP => "SEQ_GAP",
        regs::REG_MODE0..=regs::REG_MODE7 => "MODE",
        regs::REG_CMD_FIFO..=regs::REG_CMD_FIFO_END => "CMD_FIFO",
        _ => return None,
    })
}

/// A VGA port's name, by its offset in BAR1 (regs.rs).
fn port_name(o: u32) -> Option<&'static str> {
    Some(match o {
        regs::VGA_MISC_W_ISR0 => "MISC/ISR0",
        regs::VGA_SEQ_INDEX => "SEQ index",
        regs::VGA_SEQ_DATA => "SEQ data",
        regs::VGA_DAC_RINDEX => "DAC read index",
        regs::VGA_DAC_WINDEX => "DAC write index",
        regs::VGA_DAC_DATA => "DAC data",
        regs::VGA_MISC_R => "MISC read",
        regs::VGA_CRTC_INDEX => "CRTC index",
        regs::VGA_CRTC_DATA => "CRTC data",
        regs::VGA_ISR1 => "ISR1",
        _ => return None,
    })
}

/// The timed programming window's state, probe 3 [7:0] (contracts.md §2).
fn timed_window(f: &Frame) -> Window {
    match f.dev[3] & 0xFF {
        1 => Window::Open,
        2 => Window::Committed,
        3 => Window::Aborted,
        _ => Window::Closed,
    }
}
