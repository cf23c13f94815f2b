//! From a waveform's signals to [`Frame`]s, whatever the file format: which signals the
//! rules read (by path below the wrapper), which of a file's variables feeds each, and the
//! frame of every rising clock edge. The VCD and FST readers differ only in how they find
//! their variables and value changes; both hand them here, so they cannot disagree on what
//! a frame is.

use dirql_sim::{Frame, Slot1};

use super::signal_table::{Need, TABLE};

/// Every signal a frame is built from, with whether it is required (the slots of
/// [`TABLE`], in its order).
fn all_signals() -> impl Iterator<Item = (&'static str, bool)> {
    TABLE.iter().filter(|s| s.need != Need::Shown).map(|s| (s.path, s.need == Need::Required))
}

/// The paths of the signals a waveform must have, below the wrapper `dirql_sim_top`.
pub fn required_signals() -> impl Iterator<Item = &'static str> {
    TABLE.iter().filter(|s| s.need == Need::Required).map(|s| s.path)
}

/// Frame slots: the table's required and optional signals (those a waveform is read for).
const SLOTS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < TABLE.len() {
        if !matches!(TABLE[i].need, Need::Shown) {
            n += 1;
        }
        i += 1;
    }
    n
};
// `frame_of` reads the slots by index, in TABLE's order: a signal added or removed there
// must be taken or dropped there too.
const _: () = assert!(SLOTS == 58, "frame_of reads slots 0..=40 and 55..=57 of signal_table::TABLE, slot1_of 41..=54");

/// Slot of the clock in [`TABLE`].
const CLK: usize = 0;
/// Slot of `host1.cpu_slot`, which only a two-slot model has.
const CPU_SLOT: usize = 44;

/// Which frame slots each of a file's variables feeds, by the file's own key for the
/// variable (a VCD id code as a number, an FST handle), sorted for binary search.
pub struct SignalMap {
    by_key: Vec<(u64, Vec<usize>)>,
    /// The waveform is of a two-slot model (it has `host1.cpu_slot`).
    two_slots: bool,
}

impl SignalMap {
    /// Maps each signal to the first variable whose dotted path (scopes and name, without a
    /// bit range) ends in `dirql_sim_top.<signal>`. `Err` lists the required signals no
    /// variable provides, comma-separated.
    pub fn resolve<'a>(vars: impl IntoIterator<Item = (&'a str, u64)> + Clone) -> Result<Self, String> {
        let mut by_key: Vec<(u64, Vec<usize>)> = Vec::new();
        let mut missing = Vec::new();
        let mut two_slots = false;
        for (slot, (want, required)) in all_signals().enumerate() {
            let suffix = format!("dirql_sim_top.{want}");
            let found = vars.clone().into_iter().find(|(name, _)| name.ends_with(&suffix));
            two_slots |= slot == CPU_SLOT && found.is_some();
            match found {
                Some((_, key)) => match by_key.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.push(slot),
                    None => by_key.push((key, vec![slot])),
                },
                None if required => missing.push(want),
                None => {}
            }
        }
        if !missing.is_empty() {
            return Err(missing.join(", "));
        }
        by_key.sort_by_key(|(k, _)| *k);
        Ok(SignalMap { by_key, two_slots })
    }

    /// The slots the variable with `key` feeds (none for a variable the rules ignore).
    #[inline]
    pub fn slots(&self, key: u64) -> &[usize] {
        match self.by_key.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => &self.by_key[i].1,
            Err(_) => &[],
        }
    }

    /// The keys of every variable the rules read.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_key.iter().map(|(k, _)| *k)
    }
}

/// The current value of every required signal, and the frames they make: one per rising
/// edge of `clk_i`, taken when the waveform moves on from the time of the edge.
pub struct FrameAssembler {
    val: Vec<u64>,
    clk_prev: u64,
    frames: u64,
    two_slots: bool,
}

impl Default for FrameAssembler {
    fn default() -> Self {
        FrameAssembler { val: vec![0; SLOTS], clk_prev: 0, frames: 0, two_slots: false }
    }
}

impl FrameAssembler {
    /// The assembler of a waveform mapped by `map`: for a two-slot model's, each rising
    /// edge gives slot 0's view and then slot 1's ([`Frame::views`]), as the live run's
    /// observers saw them.
    pub fn for_map(map: &SignalMap) -> Self {
        FrameAssembler { two_slots: map.two_slots, ..FrameAssembler::default() }
    }

    /// Sets the variable with `key` to `v` (in every slot it feeds).
    #[inline]
    pub fn set(&mut self, map: &SignalMap, key: u64, v: u64) {
        for &s in map.slots(key) {
            self.val[s] = v;
        }
    }

    /// The values stand complete for one time (the file moves on to the next, or ends):
    /// a frame goes to `sink` if the clock rose.
    #[inline]
    pub fn end_of_time(&mut self, sink: &mut impl FnMut(&Frame)) {
        let clk = self.val[CLK];
        if clk == 1 && self.clk_prev == 0 {
            self.frames += 1;
            let f = frame_of(self.frames, &self.val);
            if self.two_slots {
                let [f0, f1] = f.views(&slot1_of(&self.val));
                sink(&f0);
                sink(&f1);
            } else {
                sink(&f);
            }
        }
        self.clk_prev = clk;
    }

    /// Frames emitted so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

/// A value written as binary digits, most significant first; x and z read as 0 (the
/// design is 2-state: `--x-assign fast`). `None` for any other character.
#[inline]
pub fn parse_bits(digits: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for &c in digits {
        match c {
            b'0' | b'1' => v = (v << 1) | u64::from(c == b'1'),
            b'x' | b'X' | b'z' | b'Z' => v <<= 1,
            _ => return None,
        }
    }
    Some(v)
}

fn frame_of(cycle: u64, v: &[u64]) -> Frame {
    let b = |i: usize| v[i] != 0;
    let u = |i: usize| v[i] as u8;
    let pic = u(22) | u(23) << 1 | u(24) << 2 | u(25) << 3;
    Frame {
        cycle,
        rst_n: b(1),
        frame_n: b(2),
        irdy_n: b(3),
        trdy_n: b(4),
        devsel_n: b(5),
        stop_n: b(6),
        cbe_n: u(7),
        ad: v[8] as u32,
        par: b(9),
        idsel: b(10),
        ad_drivers: u(11),
        inta_n: b(12),
        dev_inta_n: b(13),
        irql: [u(14), u(15)],
        routine: [u(16), u(17)],
        op: [u(18), u(19)],
        isr_ret: u(20),
        lock_owner: u(21),
        pic,
        bus_cpu: u(26),
        posted: u(27),
        note: [v[28] as u32, v[29] as u32],
        dev: std::array::from_fn(|i| v[30 + i] as u32),
        msi: v[38] as u16,
        bus_issuer: v[39] as u16,
        exclusive: v[40] as u8,
        slot: 0,
        ram_read: [v[55] as u32, v[56] as u32],
        dma_landed: v[57] as u16,
    }
}

/// Slot 1's signals (slots 41..=54; a two-slot model's waveform only).
fn slot1_of(v: &[u64]) -> Slot1 {
    Slot1 {
        idsel: v[41] != 0,
        isr_ret: v[42] as u8,
        lock_owner: v[43] as u8,
        cpu_slot: v[44] as u8,
        inta_n: v[45] != 0,
        ad_oe: v[46] as u8,
        dev: std::array::from_fn(|i| v[47 + i] as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_signal_is_mapped_or_named_missing() {
        let names: Vec<String> = required_signals().map(|s| format!("TOP.dirql_sim_top.{s}")).collect();
        let vars: Vec<(&str, u64)> = names.iter().enumerate().map(|(i, n)| (n.as_str(), 100 - i as u64)).collect();
        let m = SignalMap::resolve(vars.iter().copied()).expect("all present");
        assert_eq!(m.slots(100), &[0]);
        assert_eq!(m.slots(100 - 8), &[8]);
        assert!(m.slots(7).is_empty());
        let missing = SignalMap::resolve(vars[2..].iter().copied()).err().expect("two missing");
        assert_eq!(missing, "clk_i, rst_ni");
    }

    #[test]
    fn a_frame_is_taken_once_per_rising_edge() {
        let names: Vec<String> = required_signals().map(|s| format!("dirql_sim_top.{s}")).collect();
        let m = SignalMap::resolve(names.iter().enumerate().map(|(i, n)| (n.as_str(), i as u64))).expect("map");
        let mut a = FrameAssembler::default();
        let mut got = Vec::new();
        for (clk, ad) in [(0, 1), (1, 2), (1, 3), (0, 4), (1, 5)] {
            a.set(&m, 0, clk);
            a.set(&m, 8, ad);
            a.end_of_time(&mut |f| got.push((f.cycle, f.ad)));
        }
        assert_eq!(got, vec![(1, 2), (2, 5)]);
        assert_eq!(parse_bits(b"1x1"), Some(0b101));
        assert_eq!(parse_bits(b"12"), None);
    }
}
