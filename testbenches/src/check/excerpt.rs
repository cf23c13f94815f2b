//! A few signals around a cycle, drawn as text: one row per cycle, one column per signal,
//! the violation's cycle marked. Small enough for a terminal, exact enough to match the
//! waveform in GTKWave (same names, same cycle numbers).

use std::fmt::Write;

use dirql_sim::Frame;

/// Cycles drawn before and after the violation.
pub const EXCERPT_HALF_WIDTH: u64 = 6;

/// A signal name as a device names its probes: `probes[i]` is probe i's name, so a rule
/// or a device rule may name a probe by the device's name for it.
pub fn probe_index(name: &str, probes: &[&str]) -> Option<usize> {
    probes.iter().position(|p| *p == name).or_else(|| {
        super::signal_table::by_name(name)
            .and_then(|s| s.path.strip_prefix("dev_probe"))
            .and_then(|r| r.strip_suffix("_o"))
            .and_then(|d| d.parse().ok())
    })
}

/// The value of signal `name` in `f` (`None` for an unknown name).
pub fn signal_value(f: &Frame, name: &str) -> Option<u64> {
    let b = |x: bool| u64::from(x);
    Some(match name {
        "frame_n" => b(f.frame_n),
        "irdy_n" => b(f.irdy_n),
        "trdy_n" => b(f.trdy_n),
        "devsel_n" => b(f.devsel_n),
        "stop_n" => b(f.stop_n),
        "cbe_n" => u64::from(f.cbe_n),
        "ad" => u64::from(f.ad),
        "par" => b(f.par),
        "ad_drivers" => u64::from(f.ad_drivers),
        "inta_n" => b(f.inta_n),
        "dev_inta_n" => b(f.dev_inta_n),
        "cpu0_irql" => u64::from(f.irql[0]),
        "cpu1_irql" => u64::from(f.irql[1]),
        "cpu0_routine" => u64::from(f.routine[0]),
        "cpu1_routine" => u64::from(f.routine[1]),
        "cpu0_op" => u64::from(f.op[0]),
        "cpu1_op" => u64::from(f.op[1]),
        "cpu0_note" => u64::from(f.note[0]),
        "cpu1_note" => u64::from(f.note[1]),
        "isr_ret" => u64::from(f.isr_ret),
        "lock_owner" => u64::from(f.lock_owner),
        "msi" => u64::from(f.msi),
        "pic_in_service" => u64::from(f.pic & 1),
        "pic_deliver" => u64::from((f.pic >> 1) & 1),
        "pic_eoi" => u64::from((f.pic >> 2) & 1),
        "pic_masked" => u64::from((f.pic >> 3) & 1),
        "bus_cpu" => u64::from(f.bus_cpu),
        "bus_issuer" => u64::from(f.bus_issuer),
        "exclusive" => u64::from(f.exclusive),
        "cpu0_ram_read" => u64::from(f.ram_read[0]),
        "cpu1_ram_read" => u64::from(f.ram_read[1]),
        "dma_landed" => u64::from(f.dma_landed),
        "posted" => u64::from(f.posted),
        "latched" => u64::from(f.dev[0]),
        "enabled" => u64::from(f.dev[1]),
        "probe2" => u64::from(f.dev[2]),
        "probe3" => u64::from(f.dev[3]),
        "probe4" => u64::from(f.dev[4]),
        "probe5" => u64::from(f.dev[5]),
        "probe6" => u64::from(f.dev[6]),
        "dev_events" => u64::from(f.dev[7]),
        _ => return None,
    })
}

/// True for a single-bit signal (drawn as a level).
pub fn is_bit(name: &str) -> bool {
    matches!(
        name,
        "frame_n"
            | "irdy_n"
            | "trdy_n"
            | "devsel_n"
            | "stop_n"
            | "par"
            | "inta_n"
            | "dev_inta_n"
            | "pic_in_service"
            | "pic_deliver"
            | "pic_eoi"
            | "pic_masked"
    )
}

/// The signals an excerpt of `signals` draws, as [`draw_excerpt`] names them: a role
/// (`@gates`, `@window`) stands for the signals the device lists for it
/// ([`super::DeviceProfile::roles`]), and a probe is drawn under the device's name for it.
pub fn excerpt_signals<'a>(signals: &[&'a str], profile: &super::DeviceProfile) -> Vec<&'a str> {
    let probes = profile.probes;
    let mut names: Vec<&'a str> = Vec::new();
    for &s in signals {
        match profile.roles.iter().find(|(r, _)| *r == s) {
            Some((_, list)) => names.extend(list.iter().copied()),
            None if s.starts_with('@') => {}
            None => names.push(match probe_index(s, probes) {
                Some(i) => probes.get(i).copied().filter(|p| !p.is_empty()).unwrap_or(s),
                None => s,
            }),
        }
    }
    names
}

/// The value of `name` in `f` as an excerpt shows it: a signal of the table, or a probe by
/// the device's name for it (`probes`).
pub fn excerpt_value(f: &Frame, name: &str, probes: &[&str]) -> Option<u64> {
    signal_value(f, name).or_else(|| probe_index(name, probes).and_then(|i| f.dev.get(i)).map(|&v| u64::from(v)))
}

/// Draws `signals` for the frames in `frames` within ±[`EXCERPT_HALF_WIDTH`] of `cycle`.
/// Single-bit signals are drawn as a level (`‾` high, `_` low), buses as hex, with `·`
/// where a bus did not change since the row above.
///
/// Names are resolved with the device's `profile`: a role (`@gates`, `@window`) stands for
/// the signals the device lists for it ([`super::DeviceProfile::roles`]), a device's name
/// for one of its probes is that probe, and a generic probe is drawn under the device's
/// name for it.
pub fn draw_excerpt<'a>(
    frames: impl Iterator<Item = &'a Frame>,
    cycle: u64,
    signals: &[&str],
    profile: &super::DeviceProfile,
) -> String {
    let probes = profile.probes;
    let signals = excerpt_signals(signals, profile);
    let value = |f: &Frame, name: &str| excerpt_value(f, name, probes);
    let lo = cycle.saturating_sub(EXCERPT_HALF_WIDTH);
    let hi = cycle + EXCERPT_HALF_WIDTH;
    let widths: Vec<usize> = signals.iter().map(|s| s.len().max(if is_bit(s) { 1 } else { 8 })).collect();
    let mut s = String::new();
    let _ = write!(s, "  {:>9}", "cycle");
    for (name, w) in signals.iter().zip(&widths) {
        let _ = write!(s, " {name:>w$}");
    }
    s.push('\n');
    let mut prev: Vec<Option<u64>> = vec![None; signals.len()];
    for f in frames.filter(|f| f.cycle >= lo && f.cycle <= hi) {
        let mark = if f.cycle == cycle { '>' } else { ' ' };
        let _ = write!(s, "{mark} {:>9}", f.cycle);
        for (i, (name, w)) in signals.iter().zip(&widths).enumerate() {
            let v = value(f, name);
            let cell = match v {
                None => "?".to_string(),
                Some(x) if is_bit(name) => if x != 0 { "‾" } else { "_" }.to_string(),
                Some(x) if prev[i] == Some(x) => "·".to_string(),
                Some(x) => format!("{x:x}"),
            };
            prev[i] = v;
            let _ = write!(s, " {cell:>w$}");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_name_has_a_value_and_the_cycle_is_marked() {
        let f = Frame::default();
        for sig in
            super::super::signal_table::TABLE.iter().filter(|s| s.need != super::super::signal_table::Need::Shown)
        {
            let n = sig.name;
            if n == "clk_i" || n == "rst_ni" || n == "idsel" || sig.need == super::super::signal_table::Need::Slot1 {
                continue;
            }
            assert!(signal_value(&f, n).is_some(), "{n}");
        }
        let frames: Vec<Frame> =
            (0..20).map(|c| Frame { cycle: c, dev_inta_n: c < 10, ad: c as u32, ..Frame::default() }).collect();
        let t = draw_excerpt(frames.iter(), 10, &["dev_inta_n", "ad"], &crate::check::NO_DEVICE);
        assert_eq!(t.lines().count(), 1 + 13, "{t}");
        let marked: Vec<&str> = t.lines().filter(|l| l.starts_with('>')).collect();
        assert_eq!(marked.len(), 1);
        assert!(marked[0].contains(" 10 ") && marked[0].contains('_'), "{t}");
        assert!(t.lines().nth(1).unwrap_or_default().contains('‾'), "{t}");
    }
}
