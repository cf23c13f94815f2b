//! The display adapter's scenarios: each runs the firmware's PCI enumeration and
//! VideoPortInitialize on CPU 0, then its own work.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{
    video_port_initialize, Priority, VideoDevice, VideoPort, VideoPortConfig, VideoRequestPacket, NO_ERROR,
};
use dirql_host::{Cpu, MachineConfig};
use dirql_sim::{PicConfig, Routing};
use dirql_testbenches::device::{no_configuration, RunEnd, Scenario, Stage};
use dirql_testbenches::harm::HarmLog;
use dirql_testbenches::scenario::RunSettings;

use crate::miniport::{ioctl, DirqlMiniport, Variant};
use crate::regs;
use crate::regs_ext as ext;

/// Every scenario of the display adapter.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "vblank",
        description: "the adapter raises vertical-retrace interrupts on INTA# while a driver thread on CPU0 does \
                      register traffic; each interrupt must be serviced and dismissed",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity", "dma-ordering", "request-completion"],
        configure: no_configuration,
        start: |st| start(st, Work::Background),
    },
    Scenario {
        name: "sync-readings",
        description: "CPU0 runs VpHighPriority synchronized routines back to back while the interrupt controller \
                      routes the adapter's interrupts to CPU1: under `reactos` the ISR runs on CPU1 during the \
                      routine (sync_overlap_cycles > 0), under `current` and `legacy` it cannot",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity", "dma-ordering", "request-completion"],
        configure: every_interrupt_to_cpu1,
        start: |st| start(st, Work::Synchronized),
    },
    Scenario {
        name: "shared-line",
        description: "a second device shares INTA# and raises its interrupt at seeded times; its ISR is chained \
                      after the display miniport's, which must return FALSE for interrupts that are not its own",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity", "dma-ordering", "request-completion"],
        configure: no_configuration,
        start: |st| start(st, Work::SharedLine),
    },
    Scenario {
        name: "mode-set",
        description: "StartIO requests from both CPUs while the retrace interrupts: CPU0 programs CRTC registers \
                      (3D4h/3D5h), sets the mode through the timed window and loads the palette; CPU1 submits \
                      command buffers with fences and waits for them",
        default_cycles: 30_000,
        not_exercised: &["dma-ordering"],
        configure: no_configuration,
        start: |st| start(st, Work::ModeSet { messages: false }),
    },
    Scenario {
        name: "msi",
        description: "mode-set with message-signalled interrupts: the miniport registers through \
                      NdisMRegisterInterruptEx for MSI messages to a seeded CPU, the adapter signals each source with \
                      its own message (a Memory Write it masters on the bus), MiniportMessageInterrupt dismisses it, \
                      and synchronized code goes through NdisMSynchronizeWithInterruptEx; INTA# stays released",
        default_cycles: 30_000,
        // Messages are never shared: no ownership to judge (isr-ownership counts line ISRs).
        not_exercised: &["isr-ownership", "dma-ordering"],
        configure: no_configuration,
        start: |st| start(st, Work::ModeSet { messages: true }),
    },
    Scenario {
        name: "cmd-error",
        description: "CPU0 submits command buffers with fences, and a seeded one in four carries an invalid command \
                      word before its fence: the adapter raises CMD_ERROR and stops its engine; the ISR claims and \
                      dismisses it, the DPC resets the engine (CMD_CONTROL[0]) and that buffer's wait fails with a \
                      status (may_fail) while every other fence completes; CPU1 does register traffic",
        default_cycles: 30_000,
        not_exercised: &["burst-integrity", "dma-ordering"],
        configure: no_configuration,
        start: |st| start(st, Work::CommandErrors),
    },
    Scenario {
        name: "cmd-flood",
        description: "CPU0 submits command buffers longer than the 16-word command FIFO, each as one burst: the \
                      adapter answers with target retry while its FIFO is full and the bridge re-issues; the miniport \
                      enables FIFO_LOW, the ISR claims and dismisses it, and the next long buffer waits for it; \
                      CPU1 does register traffic",
        default_cycles: 30_000,
        not_exercised: &["burst-integrity", "dma-ordering"],
        configure: no_configuration,
        start: |st| start(st, Work::CommandFlood),
    },
];

/// `sync-readings`: every interrupt to CPU1, so the synchronized routines on CPU0 meet it there.
fn every_interrupt_to_cpu1(cfg: &mut MachineConfig, _: &RunSettings) {
    cfg.pic = PicConfig { routing: Routing::Fixed(1), ..cfg.pic };
}

/// What the driver threads do once the miniport is up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    /// Register traffic on CPU0 (`vblank`).
    Background,
    /// Back-to-back VpHighPriority routines on CPU0 (`sync-readings`).
    Synchronized,
    /// Register traffic, with a second device on the shared line (`shared-line`).
    SharedLine,
    /// Command buffers on CPU0, some with an invalid command word (`cmd-error`).
    CommandErrors,
    /// Command buffers longer than the FIFO on CPU0, paced by FIFO_LOW (`cmd-flood`).
    CommandFlood,
    /// Mode requests on CPU0, command buffers on CPU1, by INTA# or MSI.
    ModeSet {
        /// By MSI messages.
        messages: bool,
    },
}

/// Cycles between the second device's interrupts on the shared line (seeded in between).
const SECOND_MIN_GAP: u64 = 300;
/// See [`SECOND_MIN_GAP`].
const SECOND_MAX_GAP: u64 = 3_000;

fn start(st: &mut Stage<'_>, work: Work) {
    start_with(st, work, Variant::of(st.settings.driver), None);
}

/// The display adapter as the partner in slot 1 of another device's scenario
/// ([`dirql_testbenches::device::Companion`]): the reference miniport, initialized once
/// the other device's driver has connected its interrupt (`after`), then retrace
/// interrupts and register traffic as in `vblank`, on the last CPU.
pub fn companion(st: &mut Stage<'_>, after: Rc<Cell<Option<u64>>>) {
    start_with(st, Work::Background, &crate::miniport::VARIANTS[0], Some(after));
}

fn start_with(st: &mut Stage<'_>, work: Work, variant: &'static Variant, after: Option<Rc<Cell<Option<u64>>>>) {
    let s = st.settings;
    let second_isr = (work == Work::SharedLine).then(|| st.attach_second_device(SECOND_MIN_GAP, SECOND_MAX_GAP).isr());
    let miniport = Rc::new(DirqlMiniport::new(variant));
    let vp_cfg = VideoPortConfig { reading: s.reading, smp: s.cpus > 1, ..VideoPortConfig::default() };
    let dev_slot: Rc<RefCell<Option<Rc<VideoDevice>>>> = Rc::new(RefCell::new(None));
    let messages = work == (Work::ModeSet { messages: true });
    if messages {
        miniport.use_message_interrupts();
    }
    // MSI: the messages go to a CPU chosen by the seed, so exploring seeds covers both.
    let msi_target = (s.seed % u64::from(s.cpus.max(1))) as u8;
    let one_cpu = s.cpus <= 1;
    let seed = s.seed;
    let mode_set = matches!(work, Work::ModeSet { .. });
    // On one CPU the command requests take turns with the mode requests on CPU0 (below).
    let commands_only = matches!(work, Work::CommandErrors | Work::CommandFlood);
    if work == Work::CommandFlood {
        miniport.use_fifo_low();
    }
    if commands_only && !one_cpu {
        let slot = dev_slot.clone();
        let harm = st.harm.clone();
        st.machine.spawn(
            1,
            Box::new(move |cpu: &Cpu<'_>| loop {
                let dev = slot.borrow().clone();
                match dev {
                    Some(dev) => {
                        let vp = VideoPort::new(cpu, &dev);
                        let bar0 = dev.pci.bars[0].map_or(0, |b| b.base);
                        background_traffic(&vp, bar0, &harm);
                    }
                    None => cpu.work(50),
                }
            }),
        );
    }
    if mode_set && !one_cpu {
        let slot = dev_slot.clone();
        let harm = st.harm.clone();
        st.machine.spawn(
            1,
            Box::new(move |cpu: &Cpu<'_>| loop {
                let dev = slot.borrow().clone();
                match dev {
                    Some(dev) => {
                        let vp = VideoPort::new(cpu, &dev);
                        let mut fence = 1;
                        loop {
                            command_request(&vp, &mut fence, &harm);
                        }
                    }
                    None => cpu.work(50),
                }
            }),
        );
    }
    let (harm, enabled, err, mp) = (st.harm.clone(), st.enabled_at.clone(), st.setup_error.clone(), miniport);
    let home = if after.is_some() { s.cpus.max(1) - 1 } else { 0 };
    st.machine.spawn(
        home,
        Box::new(move |cpu: &Cpu<'_>| {
            while after.as_ref().is_some_and(|a| a.get().is_none()) {
                cpu.work(100);
            }
            let Some(pci) = enumerate(cpu, &ResourcePlan::for_slot(cpu.slot())) else {
                *err.borrow_mut() = Some("PCI enumeration found no device (master abort on the ID read)".into());
                return;
            };
            let dev = VideoDevice::new(vp_cfg, pci);
            if let Err(e) = video_port_initialize(cpu, &dev, mp.clone()) {
                *err.borrow_mut() = Some(e);
                return;
            }
            if messages {
                if let Err(e) = mp.connect_messages(cpu, &dev, msi_target) {
                    *err.borrow_mut() = Some(e);
                    return;
                }
            }
            if let (Some(isr), Some(int)) = (second_isr, dev.interrupt()) {
                // The other device's driver connects to the same interrupt object: its ISR
                // is called only when the display miniport's returns FALSE.
                int.connect("second-device", isr);
            }
            enabled.set(Some(cpu.now()));
            let vp = VideoPort::new(cpu, &dev);
            let bar0 = dev.pci.bars[0].map_or(0, |b| b.base);
            *dev_slot.borrow_mut() = Some(dev.clone());
            match work {
                Work::Synchronized => synchronized_traffic(&vp, bar0, &harm),
                Work::CommandErrors => {
                    let mut fence = 1;
                    loop {
                        faulty_command_request(&vp, &mut fence, seed, &harm);
                    }
                }
                Work::CommandFlood => {
                    let mut fence = 1;
                    loop {
                        long_command_request(&vp, &mut fence, seed, &harm);
                    }
                }
                Work::ModeSet { .. } if one_cpu => {
                    let mut fence = 1;
                    loop {
                        mode_request(&vp, &harm);
                        command_request(&vp, &mut fence, &harm);
                    }
                }
                Work::ModeSet { .. } => loop {
                    mode_request(&vp, &harm);
                },
                Work::Background | Work::SharedLine => background_traffic(&vp, bar0, &harm),
            }
        }),
    );
    // The command engine's sources must not stay latched: a CMD_ERROR or FIFO_LOW the ISR
    // claims but never dismisses holds INTA# asserted (probe 0 is INT_STATUS).
    if commands_only {
        let harm = st.harm.clone();
        let mut since = [None::<u64>; 2];
        st.observe(Box::new(move |f| {
            for (i, (bit, name)) in
                [(regs::INT_CMD_ERROR, "CMD_ERROR"), (regs::INT_FIFO_LOW, "FIFO_LOW")].iter().enumerate()
            {
                if f.dev[0] & bit == 0 {
                    since[i] = None;
                    continue;
                }
                let from = *since[i].get_or_insert(f.cycle);
                if f.cycle - from == STUCK_CYCLES {
                    harm.record(
                        "source-left-latched",
                        f.cycle,
                        format!("{name} latched at cycle {from} and still latched {STUCK_CYCLES} cycles later"),
                    );
                }
            }
        }));
    }
    // Every frame's retrace must be serviced: counted from when the driver enabled them, in
    // the adapter itself (its retrace latch cleared: probe 0 bit 0 falling, contracts.md
    // §2), not by the driver's own count, which a driver bug could keep going.
    let cleared = Rc::new(std::cell::Cell::new(0u64));
    let (seen, mut latched) = (cleared.clone(), false);
    st.observe(Box::new(move |f| {
        let now = f.dev[0] & regs::INT_VBLANK != 0;
        if latched && !now {
            seen.set(seen.get() + 1);
        }
        latched = now;
    }));
    st.at_end(Box::new(move |end: &RunEnd, harm: &HarmLog| {
        let Some(from) = end.enabled_at else { return };
        let expected = end.cycles.saturating_sub(from) / FRAME_CYCLES;
        let serviced = cleared.get();
        // The last frame may end with its retrace not yet serviced.
        if serviced + 1 < expected {
            harm.record(
                "retrace-unserviced",
                end.cycles,
                format!(
                    "{expected} vertical retraces since the driver enabled its interrupts at cycle {from} (one every \
                     {FRAME_CYCLES} cycles, contracts.md §1), but the adapter's retrace latch was cleared {serviced} \
                     times"
                ),
            );
        }
    }));
}

/// Cycles a command-engine source may stay latched before it counts as never dismissed
/// (the reference dismisses within 50, docs/rules.md interrupt latency).
const STUCK_CYCLES: u64 = 2_000;

/// The mode the adapter resets to (docs/contracts.md §1: htotal 50, vtotal 40).
const DEFAULT_MODE: [u32; 8] = [50, 40, 42, 46, 40, 30, 32, 34];

/// Cycles per frame in the mode every scenario runs (DEFAULT_MODE: htotal 50 × vtotal 40).
const FRAME_CYCLES: u64 = (DEFAULT_MODE[0] * DEFAULT_MODE[4]) as u64;

/// CPU0 in `mode-set`: CRTC registers, the timed mode sequence and a palette, through the
/// serialized StartIO queue (called again and again).
fn mode_request(vp: &VideoPort<'_, '_>, harm: &HarmLog) {
    let reqs = [
        // Horizontal timing as the mode has it, then the cursor shape, start address and cursor
        // location a mode set also programs (CR0A-CR0F: accepted, not implemented by the adapter).
        (ioctl::SET_CRTC, vec![0x042A, 0x052E, 0x0132, 0x0A0D, 0x0B0E, 0x0C00, 0x0D00, 0x0E00, 0x0F00]),
        (ioctl::SET_CURRENT_MODE, DEFAULT_MODE.to_vec()),
        (ioctl::SET_COLOR_REGISTERS, vec![0, 0x10_2030, 0x40_5060, 0x70_8090]),
    ];
    for (code, input) in &reqs {
        let mut rp = VideoRequestPacket { ioctl: *code, input: input.clone(), ..Default::default() };
        vp.start_io(&mut rp);
        if rp.status != NO_ERROR {
            harm.record(
                "mode-not-set",
                vp.cpu().now(),
                format!("StartIO request {:#010x} failed with status {}", rp.ioctl, rp.status),
            );
        }
        vp.cpu().work(120);
    }
}

/// CPU1 in `mode-set` (called again and again): a command buffer ending in fence `fence`,
/// then a wait for that fence.
fn command_request(vp: &VideoPort<'_, '_>, fence: &mut u32, harm: &HarmLog) {
    let words = vec![ext::OP_FILL << 24, 0, 4 | 4 << 16, 0x00FF_00FF, ext::OP_FENCE << 24, *fence];
    let mut rp = VideoRequestPacket { ioctl: ioctl::SUBMIT_COMMANDS, input: words, ..Default::default() };
    vp.start_io(&mut rp);
    let mut rp = VideoRequestPacket { ioctl: ioctl::WAIT_FENCE, input: vec![*fence], ..Default::default() };
    vp.start_io(&mut rp);
    if rp.status != NO_ERROR {
        harm.record(
            "fence-stalled",
            vp.cpu().now(),
            format!("fence {fence} submitted but not completed within the wait (status {})", rp.status),
        );
    }
    vp.cpu().work(400);
    *fence += 1;
}

/// A command word no opcode of the engine's has (dirql_cmd_engine.v: FILL, COPY, FENCE).
const BAD_COMMAND: u32 = 0x7F << 24;

/// CPU0 in `cmd-error` (called again and again): a command buffer ending in fence `fence`,
/// with an invalid command word before the fence in a seeded one of four, then its wait.
/// A bad buffer's wait may fail (the driver reports the engine error), and must: its fence
/// never comes. Every good buffer's fence must complete, whatever came before it.
fn faulty_command_request(vp: &VideoPort<'_, '_>, fence: &mut u32, seed: u64, harm: &HarmLog) {
    let bad =
        (u64::from(*fence).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed.wrapping_mul(0xBF58_476D_1CE4_E5B9)) >> 61 < 2;
    let mut words = vec![ext::OP_FILL << 24, 0, 4 | 4 << 16, 0x00FF_00FF];
    if bad {
        words.push(BAD_COMMAND);
    }
    words.extend([ext::OP_FENCE << 24, *fence]);
    let mut rp = VideoRequestPacket { ioctl: ioctl::SUBMIT_COMMANDS, input: words, ..Default::default() };
    vp.start_io(&mut rp);
    let mut rp =
        VideoRequestPacket { ioctl: ioctl::WAIT_FENCE, input: vec![*fence], may_fail: bad, ..Default::default() };
    vp.start_io(&mut rp);
    if bad && rp.status == NO_ERROR {
        harm.record(
            "command-error-unreported",
            vp.cpu().now(),
            format!("fence {fence} followed an invalid command word, yet its wait reported success"),
        );
    }
    if !bad && rp.status != NO_ERROR {
        harm.record(
            "fence-stalled",
            vp.cpu().now(),
            format!(
                "fence {fence} submitted (a valid buffer) but not completed within the wait (status {}): the engine \
                 was left stopped by an earlier invalid command",
                rp.status
            ),
        );
    }
    vp.cpu().work(400);
    *fence += 1;
}

/// CPU0 in `cmd-flood` (called again and again): a buffer of 5 to 8 FILLs (21 to 33 words,
/// more than the 16-word FIFO) ending in fence `fence`, then its wait.
fn long_command_request(vp: &VideoPort<'_, '_>, fence: &mut u32, seed: u64, harm: &HarmLog) {
    let fills = 5 + ((u64::from(*fence).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed) >> 62) as u32;
    let mut words = Vec::new();
    for i in 0..fills {
        words.extend([ext::OP_FILL << 24, 64 * i, 4 | 4 << 16, 0x0010_2030 * (i + 1)]);
    }
    words.extend([ext::OP_FENCE << 24, *fence]);
    let mut rp = VideoRequestPacket { ioctl: ioctl::SUBMIT_COMMANDS, input: words, ..Default::default() };
    vp.start_io(&mut rp);
    let mut rp = VideoRequestPacket { ioctl: ioctl::WAIT_FENCE, input: vec![*fence], ..Default::default() };
    vp.start_io(&mut rp);
    if rp.status != NO_ERROR {
        harm.record(
            "fence-stalled",
            vp.cpu().now(),
            format!("fence {fence} (a buffer of {fills} fills) not completed within the wait (status {})", rp.status),
        );
    }
    vp.cpu().work(100);
    *fence += 1;
}

/// VpHighPriority routines back to back on CPU0, each a stretch of register traffic that
/// stays well inside the VpHighPriority bound.
fn synchronized_traffic(vp: &VideoPort<'_, '_>, bar0: u32, harm: &HarmLog) {
    let mut n = 0u32;
    loop {
        vp.synchronize_execution(Priority::High, &|vp| {
            for _ in 0..6 {
                scratch_round_trip(vp, bar0, n, harm);
                vp.cpu().work(40);
            }
            true
        });
        vp.cpu().work(60);
        n = n.wrapping_add(1);
    }
}

/// A driver thread's ordinary register traffic, so that interrupts land in the middle of
/// driver code rather than in the idle loop.
fn background_traffic(vp: &VideoPort<'_, '_>, bar0: u32, harm: &HarmLog) {
    let mut n = 0u32;
    loop {
        scratch_round_trip(vp, bar0, n, harm);
        vp.cpu().work(150);
        n = n.wrapping_add(1);
    }
}

/// SCRATCH written and read back: what comes back must be what was written (the driver
/// thread is the only one that touches SCRATCH).
fn scratch_round_trip(vp: &VideoPort<'_, '_>, bar0: u32, n: u32, harm: &HarmLog) {
    vp.write_register_ulong(bar0 + regs::REG_SCRATCH, n);
    let got = vp.read_register_ulong(bar0 + regs::REG_SCRATCH);
    if got != n {
        harm.record(
            "register-read-wrong",
            vp.cpu().now(),
            format!("SCRATCH read back {got:#010x} after {n:#010x} was written to it"),
        );
    }
}
