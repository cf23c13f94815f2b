//! The facts the generic rules need about the network adapter (devices/nic/README.md:
//! "Interrupt timing", "MSI message assignment", "Probes").

use dirql_sim::{Command, Frame, PERIOD_NS};
use dirql_testbenches::check::{BarDecl, DataPhase, DeviceProfile, RingDecl, Target, DPC_BUDGET_NS, ISR_BUDGET_NS};

use crate::regs;

/// The probes by index: 0, 1 and 7 fill the generic roles (causes latched, enabled,
/// cause events this clock).
pub const PROBES: [&str; 8] =
    ["int_status", "int_enable", "moderation", "rings", "dma_addr", "dma_state", "link", "dev_events"];

/// Interrupt causes, by bit of INT_STATUS.
pub const SOURCE_NAMES: [&str; 5] = ["RX", "TX_DONE", "LINK", "RX_NOBUF", "ERR"];

/// The network adapter's profile.
pub static PROFILE: DeviceProfile = DeviceProfile {
    ack_name: "INT_STATUS",
    bars: &[Some(BarDecl { size: regs::BAR0_SIZE, io: false })],
    acknowledges,
    benign_reads: &[Target::Bar(0, regs::REG_INT_ENABLE)],
    register_name,
    default_dirql: 3,
    delivery_bound: 1000,
    // 4 messages: message number = cause bit & 3 (ERR shares message 0 with RX; README).
    msi_source_mask: 3,
    sources: &SOURCE_NAMES,
    latched: |f| f.dev[0],
    raw: |f| f.dev[0] & regs::INT_ALL,
    enabled: |f| f.dev[1] & regs::INT_ALL,
    events: |f| f.dev[7] & regs::INT_ALL,
    // No latch hold: every event latches.
    held_events: |_| 0,
    pending,
    status_shows,
    msi_cap_offset: Some(regs::CFG_MSI_CAP),
    // README "Interrupt timing": INTA# is combinational from flops: 1 cycle each way
    // (with moderation off; a holdoff gates the pin, see `pending`).
    assert_latency: 1,
    dismiss_latency: 1,
    isr_budget_cycles: ISR_BUDGET_NS / PERIOD_NS,
    dpc_budget_cycles: DPC_BUDGET_NS / PERIOD_NS,
    // The DPC indicates received frames, reclaims the transmit ring and reads the link
    // (README, the miniport).
    dpc_latency_cycles: DPC_BUDGET_NS / PERIOD_NS,
    deferred_sources: regs::INT_RX | regs::INT_TX_DONE | regs::INT_LINK | regs::INT_RX_NOBUF,
    rw_probes: &[(Target::Bar(0, regs::REG_INT_ENABLE), 1, regs::INT_ALL)],
    isr_shared: &[Target::Bar(0, regs::REG_INT_STATUS), Target::Bar(0, regs::REG_INT_ENABLE)],
    timed_window: None,
    probes: &PROBES,
    roles: &[("@gates", &["moderation"])],
    rings: &[
        RingDecl {
            name: "TX",
            base: Target::Bar(0, regs::REG_TX_BASE),
            size: Target::Bar(0, regs::REG_TX_SIZE),
            tail: Target::Bar(0, regs::REG_TX_TAIL),
            desc_bytes: regs::DESC_BYTES,
            sources: regs::INT_TX_DONE,
        },
        RingDecl {
            name: "RX",
            base: Target::Bar(0, regs::REG_RX_BASE),
            size: Target::Bar(0, regs::REG_RX_SIZE),
            tail: Target::Bar(0, regs::REG_RX_TAIL),
            desc_bytes: regs::DESC_BYTES,
            sources: regs::INT_RX,
        },
    ],
    // A send completes when the DPC reclaims its descriptor, and its issuer sees that at its
    // next send (ndis::SendPath): the reference's longest, over every NIC scenario x 1, 2
    // CPUs x seeds 1-12, is 1036 cycles (nic-link-flap, one CPU). 5000 cycles is 150 µs.
    request_budget_cycles: 5_000,
};

/// Latched and enabled, while no moderation holdoff runs (probe 2 [31:16], the holdoff
/// counter): a holdoff delays the pin, it loses nothing.
fn pending(f: &Frame) -> u32 {
    if f.dev[2] >> 16 != 0 {
        0
    } else {
        f.dev[0] & f.dev[1] & regs::INT_ALL
    }
}

/// INT_STATUS and INT_CAUSE show the causes by bit.
fn status_shows(t: Target, data: u32, _be: u8) -> Option<u32> {
    matches!(t, Target::Bar(0, regs::REG_INT_STATUS | regs::REG_INT_CAUSE)).then_some(data & regs::INT_ALL)
}

/// A write of 1s to INT_STATUS acknowledges those causes.
fn acknowledges(_: &mut u32, t: Target, ph: &DataPhase) -> u32 {
    match t {
        Target::Bar(0, regs::REG_INT_STATUS)
            if matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate)) =>
        {
            ph.data & regs::INT_ALL
        }
        _ => 0,
    }
}

fn register_name(t: Target) -> Option<String> {
    let Target::Bar(0, o) = t else { return None };
    let name = match o {
        regs::REG_CTRL => "CTRL",
        regs::REG_STATUS => "STATUS",
        regs::REG_INT_STATUS => "INT_STATUS",
        regs::REG_INT_ENABLE => "INT_ENABLE",
        regs::REG_INT_MODERATION => "INT_MODERATION",
        regs::REG_INT_CAUSE => "INT_CAUSE",
        regs::REG_TX_TAIL => "TX_TAIL",
        regs::REG_RX_TAIL => "RX_TAIL",
        _ => return Some(format!("BAR0+{o:#05x}")),
    };
    Some(name.into())
}
