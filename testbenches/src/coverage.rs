//! Functional coverage of the hardware/software interplay: what a run exercised, read from
//! the frames alone (the wired bus, the host probes, the device probes through its
//! [`DeviceProfile`]), so that a live run (`dirql run --coverage`) and a waveform written
//! earlier (`dirql check --coverage`) give the same table, and explorations add them up
//! (`dirql explore --coverage`, `dirql merge`).
//!
//! Cover groups (docs/coverage.md says why each is cut as it is):
//!
//! | group | cell |
//! |---|---|
//! | `interrupt` | source × delivery (line, message) |
//! | `interrupt-landed` | delivery × what the CPU it landed on ran × its IRQL |
//! | `interrupt-landed-state` | delivery × interrupt lock held there × inside a routine synchronized with the ISR × posted writes pending |
//! | `interrupt-other-cpu` | what the CPU it landed on ran × what the other CPU ran |
//! | `pci` | master × command × target response × burst length |
//! | `source` | device source × event (latched, serviced, cleared while another pending) |
//!
//! Every interrupt taken also records its whole tuple (source, delivery, landed routine,
//! IRQL, lock, synchronized, posted, other CPU) in [`CoverageReport::interrupts`]: what was
//! hit, without holes (the full cross has thousands of cells, nearly all of which no
//! scenario means to reach; the groups above are its projections, where a hole means
//! something). Cells that cannot occur are declared with the reason (their hits, if any
//! ever came, are reported as such: a declared-impossible cell hit is a finding, not noise).
//!
//! Nothing here runs unless asked: the runner adds the collector as an observer only with
//! [`crate::scenario::RunOptions::functional_coverage`].

use std::collections::BTreeMap;

use dirql_sim::{Command, Frame, Routine, OFFLINE_IRQL};
use serde::{Deserialize, Serialize};

use crate::check::{DeviceIrql, DeviceProfile, IsrSpan, TRACED_CPUS};

/// Delivery values.
const DELIVERY: &[&str] = &["line", "message"];
/// What a CPU ran, as the `interrupt-*` groups bin it: [`Routine`] by name, and `offline`.
const ROUTINES: &[&str] = &[
    "idle",
    "thread",
    "StartIO",
    "DPC",
    "sync-routine",
    "spin",
    "ISR",
    "other-device",
    "other-device-ISR",
    "BIOS",
    "bugcheck",
    "offline",
];
/// IRQL bins of the CPU an interrupt landed on.
const IRQLS: &[&str] = &["PASSIVE", "DISPATCH", "DIRQL-or-above"];
const NO_YES: &[&str] = &["no", "yes"];
const MASTERS: &[&str] = &["host", "device"];
const COMMANDS: &[&str] = &[
    "MemRead",
    "MemWrite",
    "IoRead",
    "IoWrite",
    "ConfigRead",
    "ConfigWrite",
    "MemReadLine",
    "MemReadMultiple",
    "MemWriteInvalidate",
    "other",
];
const RESPONSES: &[&str] = &["normal", "retry", "disconnect", "target-abort", "master-abort"];
const BURSTS: &[&str] = &["0", "1", "2-4", "5-8", "9+"];
const SOURCE_EVENTS: &[&str] = &["latched", "serviced", "cleared-while-other-pending"];

/// A declared impossibility: the cells whose value of each named dimension is one of the
/// listed ones, and why they cannot occur.
struct Rule {
    /// (dimension index, values) pairs, all of which must match.
    when: Vec<(usize, Vec<usize>)>,
    reason: String,
}

/// One cover group: dimensions, a hit count per cell (mixed radix over the dimensions),
/// and the declared impossibilities.
#[derive(Clone)]
struct Group {
    name: &'static str,
    dims: Vec<(&'static str, Vec<String>)>,
    counts: Vec<u64>,
    /// Per cell: the index of the first rule that makes it impossible.
    impossible: Vec<Option<u16>>,
    reasons: Vec<String>,
}

impl Group {
    fn new(name: &'static str, dims: Vec<(&'static str, Vec<String>)>, rules: Vec<Rule>) -> Self {
        let n = dims.iter().map(|d| d.1.len()).product();
        let mut impossible = vec![None; n];
        for (i, slot) in impossible.iter_mut().enumerate() {
            let idx = Self::unrank(&dims, i);
            *slot = rules.iter().position(|r| r.when.iter().all(|(d, vals)| vals.contains(&idx[*d]))).map(|p| p as u16);
        }
        Group { name, dims, counts: vec![0; n], impossible, reasons: rules.into_iter().map(|r| r.reason).collect() }
    }

    fn unrank(dims: &[(&'static str, Vec<String>)], mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; dims.len()];
        for (d, (_, vals)) in dims.iter().enumerate().rev() {
            idx[d] = i % vals.len();
            i /= vals.len();
        }
        idx
    }

    #[inline]
    fn hit(&mut self, idx: &[usize]) {
        let mut i = 0;
        for (d, &v) in idx.iter().enumerate() {
            i = i * self.dims[d].1.len() + v;
        }
        self.counts[i] += 1;
    }

    fn cell_name(&self, i: usize) -> String {
        Self::unrank(&self.dims, i)
            .iter()
            .enumerate()
            .map(|(d, &v)| self.dims[d].1[v].as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    fn report(&self) -> GroupReport {
        let mut cells = Vec::new();
        let mut impossible: Vec<ImpossibleReport> = self
            .reasons
            .iter()
            .map(|r| ImpossibleReport { reason: r.clone(), cells: 0, hits: 0, hit_cells: Vec::new() })
            .collect();
        for (i, &n) in self.counts.iter().enumerate() {
            match self.impossible[i] {
                None => cells.push(CellReport { cell: self.cell_name(i), hits: n }),
                Some(r) => {
                    let x = &mut impossible[usize::from(r)];
                    x.cells += 1;
                    x.hits += n;
                    if n > 0 {
                        x.hit_cells.push(CellReport { cell: self.cell_name(i), hits: n });
                    }
                }
            }
        }
        let mut g = GroupReport {
            name: self.name.to_string(),
            dimensions: self.dims.iter().map(|(n, v)| Dimension { name: n.to_string(), values: v.clone() }).collect(),
            reachable: 0,
            hit: 0,
            holes: Vec::new(),
            cells,
            impossible,
        };
        g.tally();
        g
    }
}

/// A cell and how often it was hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellReport {
    /// Its values, one per dimension, joined by ` / `.
    pub cell: String,
    /// Hits.
    pub hits: u64,
}

/// A dimension of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    /// Its name.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// The cells one declared impossibility excludes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpossibleReport {
    /// Why they cannot occur.
    pub reason: String,
    /// How many cells it excludes.
    pub cells: u64,
    /// Hits in them (0, or the declaration is wrong or a twin broke the harness: reported).
    pub hits: u64,
    /// The excluded cells that were hit anyway.
    pub hit_cells: Vec<CellReport>,
}

/// One group's table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group.
    pub name: String,
    /// Its dimensions.
    pub dimensions: Vec<Dimension>,
    /// Cells that can occur.
    pub reachable: u64,
    /// Of them, hit at least once.
    pub hit: u64,
    /// The cells that can occur and were not hit.
    pub holes: Vec<String>,
    /// Every cell that can occur, with its hits (0: a hole).
    pub cells: Vec<CellReport>,
    /// The cells that cannot occur, by reason.
    pub impossible: Vec<ImpossibleReport>,
}

impl GroupReport {
    fn tally(&mut self) {
        self.reachable = self.cells.len() as u64;
        self.hit = self.cells.iter().filter(|c| c.hits > 0).count() as u64;
        self.holes = self.cells.iter().filter(|c| c.hits == 0).map(|c| c.cell.clone()).collect();
    }
}

/// The whole tuple of one kind of interrupt taken, and how many were.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InterruptTuple {
    /// `source / delivery / landed routine / IRQL / lock / synchronized / posted / other CPU`.
    pub cell: String,
    /// Interrupts taken with it.
    pub hits: u64,
}

/// Functional coverage of one run, or of many added up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageReport {
    /// Runs added up in it.
    pub runs: u64,
    /// Every group's table.
    pub groups: Vec<GroupReport>,
    /// Every whole tuple of an interrupt taken, with its count.
    pub interrupts: Vec<InterruptTuple>,
}

/// Two reports of different groups or dimensions (another device, another dirql).
#[derive(Debug, thiserror::Error)]
#[error("functional coverage of group `{group}` does not match: {what} (fix: merge reports of one scenario's device written by one dirql)")]
pub struct CoverageMismatch {
    /// The group.
    pub group: String,
    /// What differs.
    pub what: String,
}

impl CoverageReport {
    /// Adds `other` (another run, or another shard's total) to this one.
    pub fn merge(&mut self, other: &CoverageReport) -> Result<(), CoverageMismatch> {
        if self.groups.len() != other.groups.len() {
            return Err(CoverageMismatch { group: "(all)".into(), what: "another set of groups".into() });
        }
        for (a, b) in self.groups.iter_mut().zip(&other.groups) {
            let bad = |what: &str| CoverageMismatch { group: a.name.clone(), what: what.into() };
            if a.name != b.name || a.dimensions != b.dimensions || a.cells.len() != b.cells.len() {
                return Err(bad("other dimensions or cells"));
            }
            for (x, y) in a.cells.iter_mut().zip(&b.cells) {
                if x.cell != y.cell {
                    return Err(bad(&format!("cell {} against {}", x.cell, y.cell)));
                }
                x.hits += y.hits;
            }
            if a.impossible.len() != b.impossible.len() {
                return Err(bad("other impossibility declarations"));
            }
            for (x, y) in a.impossible.iter_mut().zip(&b.impossible) {
                x.hits += y.hits;
                for c in &y.hit_cells {
                    match x.hit_cells.iter_mut().find(|h| h.cell == c.cell) {
                        Some(h) => h.hits += c.hits,
                        None => x.hit_cells.push(c.clone()),
                    }
                }
                x.hit_cells.sort_by(|p, q| p.cell.cmp(&q.cell));
            }
            a.tally();
        }
        let mut t: BTreeMap<String, u64> = self.interrupts.drain(..).map(|i| (i.cell, i.hits)).collect();
        for i in &other.interrupts {
            *t.entry(i.cell.clone()).or_default() += i.hits;
        }
        self.interrupts = t.into_iter().map(|(cell, hits)| InterruptTuple { cell, hits }).collect();
        self.runs += other.runs;
        Ok(())
    }

    /// The cells hit, as `group: cell` (what the coverage-guided exploration compares).
    pub fn hit_cells(&self) -> impl Iterator<Item = String> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.cells.iter().filter(|c| c.hits > 0).map(move |c| format!("{}: {}", g.name, c.cell)))
    }

    /// Cells that can occur, and of them hit, over every group.
    pub fn totals(&self) -> (u64, u64) {
        self.groups.iter().fold((0, 0), |(r, h), g| (r + g.reachable, h + g.hit))
    }

    /// The text table: per group its hits, its holes (named, the first `max_holes`), and
    /// its declared impossibilities.
    pub fn table(&self, max_holes: usize) -> String {
        let mut s = String::new();
        let (r, h) = self.totals();
        s.push_str(&format!(
            "functional coverage ({} run(s)): {h} of {r} reachable cells hit ({:.1}%)\n",
            self.runs,
            100.0 * h as f64 / (r.max(1)) as f64
        ));
        for g in &self.groups {
            let dims: Vec<&str> = g.dimensions.iter().map(|d| d.name.as_str()).collect();
            s.push_str(&format!("  {} ({}): {} of {} hit\n", g.name, dims.join(" × "), g.hit, g.reachable));
            for c in g.cells.iter().filter(|c| c.hits > 0) {
                s.push_str(&format!("    {:>8}  {}\n", c.hits, c.cell));
            }
            if !g.holes.is_empty() {
                s.push_str(&format!("    holes ({}):\n", g.holes.len()));
                for hole in g.holes.iter().take(max_holes) {
                    s.push_str(&format!("              {hole}\n"));
                }
                if g.holes.len() > max_holes {
                    s.push_str(&format!(
                        "              ... {} more (--json lists them all)\n",
                        g.holes.len() - max_holes
                    ));
                }
            }
            for x in &g.impossible {
                let hit = if x.hits > 0 {
                    format!(
                        "; HIT {} time(s), in {}",
                        x.hits,
                        x.hit_cells.iter().map(|c| c.cell.as_str()).collect::<Vec<_>>().join(", ")
                    )
                } else {
                    String::new()
                };
                s.push_str(&format!("    cannot occur ({} cell(s)): {}{hit}\n", x.cells, x.reason));
            }
        }
        s
    }
}

/// What a CPU was doing when an interrupt was last able to land on it (its IRQL below the
/// device's, no ISR of this device or the chain running).
#[derive(Clone, Copy, Debug, Default)]
struct Snapshot {
    routine: usize,
    irql: usize,
    lock: bool,
    exclusive: bool,
    posted: bool,
    other: usize,
}

/// The transaction on the bus, as the coverage follows it (PCI 3.0 §3.3.3).
#[derive(Clone, Copy, Debug, Default)]
struct Txn {
    master_device: bool,
    command: usize,
    data_phases: u64,
    devsel: bool,
    stop: bool,
    target_abort: bool,
}

/// The collector: fed every frame of one slot's view.
pub struct FunctionalCoverage {
    profile: &'static DeviceProfile,
    groups: Vec<Group>,
    sources: usize,
    prev: Option<Frame>,
    dirql: DeviceIrql,
    isr: [IsrSpan; TRACED_CPUS],
    snap: [Option<Snapshot>; TRACED_CPUS],
    /// The vector of the message last taken on each CPU, until its ISR is entered.
    msi: [Option<u8>; TRACED_CPUS],
    txn: Option<Txn>,
    tuples: BTreeMap<String, u64>,
}

const G_INTERRUPT: usize = 0;
const G_LANDED: usize = 1;
const G_LANDED_STATE: usize = 2;
const G_OTHER: usize = 3;
const G_PCI: usize = 4;
const G_SOURCE: usize = 5;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn idx(values: &[&str], name: &str) -> usize {
    values.iter().position(|v| *v == name).unwrap_or(0)
}

fn at(values: &[&str], names: &[&str]) -> Vec<usize> {
    names.iter().map(|n| idx(values, n)).collect()
}

impl FunctionalCoverage {
    /// A collector for the device described by `profile`.
    pub fn new(profile: &'static DeviceProfile) -> Self {
        let mut sources: Vec<String> = strings(profile.sources);
        // An ISR entered with none of the device's sources pending: the other device's on a
        // shared line, or a spurious one.
        sources.push("none".into());
        let no_source = sources.len() - 1;
        let mut rules_interrupt = Vec::new();
        if profile.msi_cap_offset.is_none() {
            rules_interrupt.push(Rule {
                when: vec![(1, vec![1])],
                reason: "the device has no MSI capability (its profile declares none)".into(),
            });
        }
        rules_interrupt.push(Rule {
            when: vec![(0, vec![no_source]), (1, vec![1])],
            reason: "a message names its source (its vector); only a shared line can enter an ISR with nothing of its \
                     device pending"
                .into(),
        });
        let r = |names: &[&str]| at(ROUTINES, names);
        let not_landable = Rule {
            when: vec![(1, r(&["ISR", "other-device-ISR", "BIOS", "bugcheck", "offline"]))],
            reason:
                "an ISR runs at the device's IRQL (and a chained one in the same interrupt), the BIOS before the OS \
                     connects interrupts, a bug check with interrupts off, an offline CPU takes none"
                    .into(),
        };
        let landed_rules = vec![
            Rule {
                when: vec![(1, r(&["ISR", "other-device-ISR", "BIOS", "bugcheck", "offline"]))],
                reason: not_landable.reason.clone(),
            },
            Rule {
                when: vec![(2, vec![2])],
                reason: "an interrupt is taken only while the CPU's IRQL is below the device's (docs/architecture.md, \
                         Interrupts on a CPU)"
                    .into(),
            },
            Rule { when: vec![(1, r(&["DPC"])), (2, vec![0])], reason: "a DPC runs at DISPATCH_LEVEL".into() },
            Rule {
                when: vec![(1, r(&["idle"])), (2, vec![1])],
                reason: "the idle loop runs at PASSIVE_LEVEL (the DPCs it drains show as DPC)".into(),
            },
        ];
        let landed_state_rules = vec![Rule {
            when: vec![(1, vec![1])],
            reason: "the interrupt spin lock is held at the device's IRQL (KeSynchronizeExecution, the ISR): no \
                         interrupt of the device lands on the CPU holding it"
                .into(),
        }];
        // `in synchronized routine` yes with the lock free is a legal cell: a reading that
        // breaks VideoPortSynchronizeExecution's promise reaches it (and the rules flag it).
        let other_rules = vec![
            Rule { when: vec![(0, not_landable.when[0].1.clone())], reason: not_landable.reason.clone() },
            Rule {
                when: vec![(1, r(&["BIOS", "bugcheck"]))],
                reason: "the BIOS runs before the OS connects interrupts, and a bug check stops the machine".into(),
            },
        ];
        let c = |names: &[&str]| at(COMMANDS, names);
        let pci_rules = vec![
            Rule {
                when: vec![(2, at(RESPONSES, &["retry", "master-abort"])), (3, vec![1, 2, 3, 4])],
                reason: "a retry or a master abort completes no data phase (PCI 3.0 §3.3.3.2.2, §3.3.3.1)".into(),
            },
            Rule {
                when: vec![(2, at(RESPONSES, &["normal", "disconnect"])), (3, vec![0])],
                reason: "a normal completion ends with a data phase, and a disconnect before any data phase is a retry"
                    .into(),
            },
            Rule {
                when: vec![
                    (0, vec![1]),
                    (1, c(&["IoRead", "IoWrite", "ConfigRead", "ConfigWrite", "other"])),
                    (2, at(RESPONSES, &["normal", "retry", "disconnect", "target-abort"])),
                ],
                reason: "a device's transactions go to the host bridge, whose target claims memory commands only \
                         (sim/src/bridge.rs): anything else master-aborts"
                    .into(),
            },
            Rule {
                when: vec![(0, vec![0]), (1, c(&["other"]))],
                reason: "the host bridge's master issues memory, I/O and configuration commands only".into(),
            },
        ];
        let groups = vec![
            Group::new(
                "interrupt",
                vec![("source", sources.clone()), ("delivery", strings(DELIVERY))],
                rules_interrupt,
            ),
            Group::new(
                "interrupt-landed",
                vec![("delivery", strings(DELIVERY)), ("landed on", strings(ROUTINES)), ("IRQL", strings(IRQLS))],
                landed_rules,
            ),
            Group::new(
                "interrupt-landed-state",
                vec![
                    ("delivery", strings(DELIVERY)),
                    ("interrupt lock held", strings(NO_YES)),
                    ("in synchronized routine", strings(NO_YES)),
                    ("posted writes pending", strings(NO_YES)),
                ],
                landed_state_rules,
            ),
            Group::new(
                "interrupt-other-cpu",
                vec![("landed on", strings(ROUTINES)), ("other CPU", strings(ROUTINES))],
                other_rules,
            ),
            Group::new(
                "pci",
                vec![
                    ("master", strings(MASTERS)),
                    ("command", strings(COMMANDS)),
                    ("response", strings(RESPONSES)),
                    ("burst", strings(BURSTS)),
                ],
                pci_rules,
            ),
            Group::new(
                "source",
                vec![("source", strings(profile.sources)), ("event", strings(SOURCE_EVENTS))],
                Vec::new(),
            ),
        ];
        FunctionalCoverage {
            profile,
            groups,
            sources: profile.sources.len(),
            prev: None,
            dirql: DeviceIrql(None, profile.default_dirql),
            isr: [IsrSpan::default(); TRACED_CPUS],
            snap: [None; TRACED_CPUS],
            msi: [None; TRACED_CPUS],
            txn: None,
            tuples: BTreeMap::new(),
        }
    }

    /// One frame of this slot's view (frames of the other slot are ignored).
    #[inline]
    pub fn feed(&mut self, f: &Frame) {
        if f.slot != 0 {
            return;
        }
        if let Some(p) = &self.prev {
            // A cycle that repeats the last in every signal changes nothing here: no edge, no
            // data phase, the same snapshots.
            if (Frame { cycle: p.cycle, ..*f }) == *p {
                return;
            }
        }
        self.frame(f);
        self.prev = Some(*f);
    }

    fn frame(&mut self, f: &Frame) {
        if !f.rst_n {
            self.txn = None;
            return;
        }
        self.dirql.update(f);
        self.pci(f);
        self.sources_of(f);
        let dirql = self.dirql.get();
        for cpu in 0..TRACED_CPUS {
            if let Some(v) = f.msi_taken(cpu) {
                self.msi[cpu] = Some(v);
            }
            let entered = self.isr[cpu].update(f, cpu);
            if entered {
                self.interrupt(f, cpu);
            }
            let r = f.routine_of(cpu);
            let in_isr = self.isr[cpu].entered.is_some()
                || matches!(r, Some(Routine::Isr | Routine::ForeignIsr))
                || f.irql[cpu] >= dirql;
            if !in_isr {
                let other = 1 - cpu;
                self.snap[cpu] = Some(Snapshot {
                    routine: routine_index(f, cpu),
                    irql: match f.irql[cpu] {
                        0 | 1 => 0,
                        2 => 1,
                        _ => 2,
                    },
                    lock: usize::from(f.lock_owner) == cpu + 1,
                    exclusive: f.exclusive & (1 << cpu) != 0,
                    posted: f.posted > 0,
                    other: routine_index(f, other),
                });
            }
        }
    }

    fn interrupt(&mut self, f: &Frame, cpu: usize) {
        let (delivery, sources) = match self.msi[cpu].take() {
            Some(v) => (1, self.profile.message_sources(v)),
            None => (0, (self.profile.pending)(f)),
        };
        let Some(s) = self.snap[cpu] else { return };
        let mut srcs: Vec<usize> = (0..self.sources).filter(|b| sources & (1 << b) != 0).collect();
        if srcs.is_empty() {
            srcs.push(self.sources);
        }
        for &src in &srcs {
            self.groups[G_INTERRUPT].hit(&[src, delivery]);
            let name = |i: usize| self.groups[G_INTERRUPT].dims[0].1[i].clone();
            let cell = format!(
                "{} / {} / {} / {} / lock {} / sync {} / posted {} / other {}",
                name(src),
                DELIVERY[delivery],
                ROUTINES[s.routine],
                IRQLS[s.irql],
                NO_YES[usize::from(s.lock)],
                NO_YES[usize::from(s.exclusive)],
                NO_YES[usize::from(s.posted)],
                ROUTINES[s.other]
            );
            *self.tuples.entry(cell).or_default() += 1;
        }
        self.groups[G_LANDED].hit(&[delivery, s.routine, s.irql]);
        self.groups[G_LANDED_STATE].hit(&[
            delivery,
            usize::from(s.lock),
            usize::from(s.exclusive),
            usize::from(s.posted),
        ]);
        self.groups[G_OTHER].hit(&[s.routine, s.other]);
    }

    fn pci(&mut self, f: &Frame) {
        match self.txn.as_mut() {
            None => {
                if !f.frame_n {
                    let command = match Command::from_code(f.cbe_n & 0xF) {
                        Some(c) => idx(COMMANDS, &format!("{c:?}")),
                        None => COMMANDS.len() - 1,
                    };
                    self.txn = Some(Txn { master_device: f.ad_drivers & 2 != 0, command, ..Txn::default() });
                }
            }
            Some(t) => {
                if !f.devsel_n {
                    t.devsel = true;
                }
                if !f.irdy_n && !f.trdy_n {
                    t.data_phases += 1;
                }
                if !f.stop_n {
                    t.stop = true;
                    if f.devsel_n && t.devsel {
                        t.target_abort = true;
                    }
                }
                // Over once FRAME# is high and the last phase ended (data or STOP#), or the
                // master gave up (FRAME# and IRDY# high): as the decoder has it.
                if f.frame_n && (f.irdy_n || !f.trdy_n || !f.stop_n) {
                    let t = *t;
                    self.txn = None;
                    let response = if t.target_abort {
                        3
                    } else if !t.devsel {
                        4
                    } else if t.stop {
                        if t.data_phases == 0 {
                            1
                        } else {
                            2
                        }
                    } else {
                        0
                    };
                    let burst = match t.data_phases {
                        0 => 0,
                        1 => 1,
                        2..=4 => 2,
                        5..=8 => 3,
                        _ => 4,
                    };
                    self.groups[G_PCI].hit(&[usize::from(t.master_device), t.command, response, burst]);
                }
            }
        }
    }

    fn sources_of(&mut self, f: &Frame) {
        let now = (self.profile.latched)(f);
        let before = self.prev.map_or(0, |p| (self.profile.latched)(&p));
        if now == before {
            return;
        }
        let servicing =
            (0..TRACED_CPUS).any(|c| matches!(f.routine_of(c), Some(Routine::Isr | Routine::Dpc | Routine::Sync)));
        for b in 0..self.sources.min(32) {
            let bit = 1u32 << b;
            if now & bit != 0 && before & bit == 0 {
                self.groups[G_SOURCE].hit(&[b, 0]);
            }
            if before & bit != 0 && now & bit == 0 {
                if servicing {
                    self.groups[G_SOURCE].hit(&[b, 1]);
                }
                if now & !bit != 0 {
                    self.groups[G_SOURCE].hit(&[b, 2]);
                }
            }
        }
    }

    /// What was covered.
    pub fn report(&self) -> CoverageReport {
        CoverageReport {
            runs: 1,
            groups: self.groups.iter().map(Group::report).collect(),
            interrupts: self.tuples.iter().map(|(c, &n)| InterruptTuple { cell: c.clone(), hits: n }).collect(),
        }
    }
}

fn routine_index(f: &Frame, cpu: usize) -> usize {
    if f.irql[cpu] == OFFLINE_IRQL {
        return idx(ROUTINES, "offline");
    }
    match f.routine_of(cpu) {
        Some(r) => idx(ROUTINES, r.name()),
        None => idx(ROUTINES, "idle"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::NO_DEVICE;

    fn idle() -> Frame {
        Frame {
            rst_n: true,
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            inta_n: true,
            dev_inta_n: true,
            ..Frame::default()
        }
    }

    fn pci_hits(frames: &[Frame]) -> Vec<(String, u64)> {
        let mut c = FunctionalCoverage::new(&NO_DEVICE);
        for (i, f) in frames.iter().enumerate() {
            c.feed(&Frame { cycle: i as u64, ..*f });
        }
        let r = c.report();
        let g = r.groups.iter().find(|g| g.name == "pci").expect("pci group");
        g.cells.iter().filter(|c| c.hits > 0).map(|c| (c.cell.clone(), c.hits)).collect()
    }

    /// A two-phase host memory write that the target completes, a retry, a target abort
    /// and a master abort land in their own cells, and nothing else is hit.
    #[test]
    fn pci_transactions_are_binned_by_command_response_and_burst() {
        let i = idle();
        let addr = Frame { frame_n: false, cbe_n: 0b0111, ad_drivers: 1, ..i };
        let data = Frame { frame_n: false, irdy_n: false, trdy_n: false, devsel_n: false, ..i };
        let last = Frame { irdy_n: false, trdy_n: false, devsel_n: false, ..i };
        let write2 = [i, addr, data, last, i];
        assert_eq!(pci_hits(&write2), vec![("host / MemWrite / normal / 2-4".to_string(), 1)]);
        let rd = Frame { cbe_n: 0b0110, ..addr };
        let stop = Frame { frame_n: false, irdy_n: false, devsel_n: false, stop_n: false, ..i };
        let stop_end = Frame { irdy_n: false, devsel_n: false, stop_n: false, ..i };
        assert_eq!(pci_hits(&[i, rd, stop, stop_end, i]), vec![("host / MemRead / retry / 0".to_string(), 1)]);
        let abort = Frame { frame_n: false, irdy_n: false, devsel_n: true, stop_n: false, ..i };
        let abort_end = Frame { irdy_n: false, stop_n: false, ..i };
        let devsel = Frame { frame_n: false, irdy_n: false, devsel_n: false, ..i };
        assert_eq!(
            pci_hits(&[i, rd, devsel, abort, abort_end, i]),
            vec![("host / MemRead / target-abort / 0".to_string(), 1)]
        );
        let waiting = Frame { frame_n: false, irdy_n: false, ..i };
        let give_up = Frame { irdy_n: false, ..i };
        assert_eq!(
            pci_hits(&[i, rd, waiting, waiting, give_up, i]),
            vec![("host / MemRead / master-abort / 0".to_string(), 1)]
        );
    }

    /// A disconnect with data after three phases, mastered by the device.
    #[test]
    fn a_device_burst_disconnected_after_three_phases_is_a_disconnect_of_2_to_4() {
        let i = idle();
        let addr = Frame { frame_n: false, cbe_n: 0b0111, ad_drivers: 2, ..i };
        let data = Frame { frame_n: false, irdy_n: false, trdy_n: false, devsel_n: false, ..i };
        let disc = Frame { frame_n: false, irdy_n: false, trdy_n: false, devsel_n: false, stop_n: false, ..i };
        let end = Frame { irdy_n: false, devsel_n: false, stop_n: false, ..i };
        assert_eq!(
            pci_hits(&[i, addr, data, data, disc, end, i]),
            vec![("device / MemWrite / disconnect / 2-4".to_string(), 1)]
        );
    }

    /// Two reports add up cell by cell; holes are those still at 0.
    #[test]
    fn merged_reports_add_hits_and_close_holes() {
        let i = idle();
        let addr = Frame { frame_n: false, cbe_n: 0b0111, ad_drivers: 1, ..i };
        let data = Frame { irdy_n: false, trdy_n: false, devsel_n: false, ..i };
        let mut a = FunctionalCoverage::new(&NO_DEVICE);
        for (n, f) in [i, addr, data, i].iter().enumerate() {
            a.feed(&Frame { cycle: n as u64, ..*f });
        }
        let mut r = a.report();
        let b = FunctionalCoverage::new(&NO_DEVICE).report();
        let holes = r.groups[G_PCI].holes.len();
        r.merge(&b).expect("same groups");
        r.merge(&a.report()).expect("same groups");
        let g = &r.groups[G_PCI];
        assert_eq!(r.runs, 3);
        assert_eq!(g.holes.len(), holes);
        assert_eq!(g.cells.iter().find(|c| c.cell == "host / MemWrite / normal / 1").map(|c| c.hits), Some(2));
        assert!(!g.holes.contains(&"host / MemWrite / normal / 1".to_string()));
        assert!(g.holes.contains(&"host / MemRead / normal / 1".to_string()));
    }
}
