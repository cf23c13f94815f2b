//! GTKWave save files: written beside a waveform (VCD or FST; GTKWave opens both, and
//! Verilator's two writers name every signal alike) so that `gtkwave run.gtkw` opens it
//! with the useful signals grouped (PCI, interrupt line, adapter state, CPU0, CPU1) and,
//! for a failing run, the view centred on the first violation with a marker on it.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use dirql_sim::PERIOD_NS;

use crate::check::SIGNAL_TABLE;

/// The groups, in order (every signal of the table with a group is in one).
const GROUPS: &[&str] = &["PCI", "interrupt line", "device state", "CPU0", "CPU1"];

/// Path of the scope the wrapper's signals live in (Verilator adds `TOP`).
const TOP: &str = "TOP.dirql_sim_top";

/// Routine codes (docs/waveform.md).
const ROUTINE_NOTE: &str = "routine: 0 idle 1 thread 2 ISR 3 DPC 4 sync 5 StartIO 6 spin 7 bugcheck 8 BIOS";

/// The save file for the waveform `wave`: beside it, same stem, `.gtkw`.
pub fn gtkw_path(wave: &Path) -> PathBuf {
    wave.with_extension("gtkw")
}

/// The text of a save file for the waveform `wave` (its `[dumpfile]`), centred on
/// `focus` = (cycle, label) when given; `probes` are the device's names for its probes,
/// shown as a comment row in the device group.
pub fn gtkw_text(wave: &Path, focus: Option<(u64, &str)>, probes: &[&str]) -> String {
    let mut s = String::new();
    let abs = std::fs::canonicalize(wave).unwrap_or_else(|_| wave.to_path_buf());
    let _ = writeln!(s, "[*] dirql: GTKWave save file for {}", abs.display());
    let _ = writeln!(s, "[dumpfile] \"{}\"", abs.display());
    let _ = writeln!(s, "[timestart] {}", focus.map_or(0, |(c, _)| c.saturating_sub(30) * PERIOD_NS));
    // A window large enough to read, the hierarchy pane closed and the names pane narrow,
    // so the waveform gets the room (GTKWave's own save-file keys).
    let _ = writeln!(s, "[size] 1600 900");
    let _ = writeln!(s, "[pos] -1 -1");
    let _ = writeln!(s, "[sst_width] 1");
    let _ = writeln!(s, "[signals_width] 230");
    let _ = writeln!(s, "[sst_expanded] 0");
    let _ = writeln!(s, "[sst_vpaned_height] 1");
    // Zoom: each step halves or doubles the span; measured in GTKWave 3.3 with the
    // 1600-pixel window above, -1 shows ~8 ns and -9 ~2.2 us, i.e. ~75 cycles.
    let marker = focus.map_or(-1i64, |(c, _)| i64::try_from(c * PERIOD_NS).unwrap_or(-1));
    let named: Vec<String> = (0..26).map(|i| if i == 0 { marker.to_string() } else { "-1".into() }).collect();
    let _ = writeln!(s, "*-9.000000 {marker} {}", named.join(" "));
    if let Some((c, label)) = focus {
        let _ = writeln!(s, "[markername] A{label} @ cycle {c}");
    }
    for group in GROUPS {
        let sigs: Vec<(&str, u32)> =
            SIGNAL_TABLE.iter().filter(|x| x.group == *group).map(|x| (x.path, x.width)).collect();
        // 0x800200: open group; 0x1000200: close group (GTKWave TR_GRP_BEGIN / TR_GRP_END | TR_BLANK).
        let _ = writeln!(s, "@800200\n-{group}");
        // The device's probes under its names for them (`probe_<name>`, declared in its
        // dirql_probes.vh), when it names them.
        let named: Vec<(String, u32)> =
            probes.iter().filter(|p| !p.is_empty()).map(|p| (format!("probe_{p}"), 32)).collect();
        let sigs: Vec<(&str, u32)> = if *group == "device state" && !named.is_empty() {
            named.iter().map(|(n, w)| (n.as_str(), *w)).collect()
        } else {
            sigs.to_vec()
        };
        if group.starts_with("CPU") {
            let _ = writeln!(s, "@200\n-{ROUTINE_NOTE}");
        }
        for &(path, width) in &sigs {
            // @28: binary, @22: hexadecimal, @24: decimal.
            let (flag, name) = match width {
                1 => ("28", format!("{TOP}.{path}")),
                w if path.contains("routine")
                    || path.contains("irql")
                    || path.contains("lock_owner")
                    || path.contains("posted") =>
                {
                    ("24", format!("{TOP}.{path}[{}:0]", w - 1))
                }
                w => ("22", format!("{TOP}.{path}[{}:0]", w - 1)),
            };
            let _ = writeln!(s, "@{flag}\n{name}");
        }
        let _ = writeln!(s, "@1000200\n-{group}");
    }
    s
}

/// Writes the save file beside the waveform `wave`; returns its path.
pub fn write_gtkw(wave: &Path, focus: Option<(u64, &str)>, probes: &[&str]) -> std::io::Result<PathBuf> {
    let p = gtkw_path(wave);
    std::fs::write(&p, gtkw_text(wave, focus, probes))?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_file_groups_signals_and_marks_the_focus() {
        let t = gtkw_text(Path::new("/tmp/none.vcd"), Some((2027, "isr-dismissal")), &["status", "enable"]);
        for g in ["-PCI", "-interrupt line", "-device state", "-CPU0", "-CPU1"] {
            assert_eq!(t.matches(&format!("\n{g}\n")).count(), 2, "group {g} opened and closed: {t}");
        }
        assert!(t.contains("TOP.dirql_sim_top.probe_status[31:0]"), "the device's probe names: {t}");
        assert!(!t.contains("dev_probe0_o"), "named probes replace the ports: {t}");
        assert!(t.contains("[timestart] 59910"), "{t}");
        assert!(t.contains("*-9.000000 60810 60810 -1"), "{t}");
        assert!(t.contains("TOP.dirql_sim_top.pci.ad[31:0]"));
        assert!(t.contains("[markername] Aisr-dismissal @ cycle 2027"));
        let clean = gtkw_text(Path::new("/tmp/none.vcd"), None, &[]);
        assert!(clean.contains("[timestart] 0") && clean.contains("*-9.000000 -1 -1"));
    }
}
