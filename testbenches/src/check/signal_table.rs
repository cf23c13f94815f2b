//! The one table of the wrapper's signals that dirql reads or shows: its name in excerpts
//! and violations, its path below `dirql_sim_top`, its width, whether a waveform must have
//! it, and its group in the GTKWave save file. The waveform readers' map
//! ([`super::signal_map`]), the excerpts ([`super::excerpt`]) and the `.gtkw` groups
//! (`crate::gtkw`) all derive from it, so they cannot disagree on a name or a path.

/// Whether a waveform must have the signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The rules read it: a waveform without it is refused.
    Required,
    /// Read when present, 0 when absent (added after the first waveforms were written).
    Optional,
    /// Shown only (the save file), never read.
    Shown,
    /// Slot 1 of a two-slot model: read when present, into slot 1's view of each cycle
    /// (`dirql_sim::Frame::views`), never a field of a frame by this name.
    Slot1,
}

/// One signal.
#[derive(Clone, Copy, Debug)]
pub struct Signal {
    /// Its name in excerpts and in a violation's `signals`.
    pub name: &'static str,
    /// Its path below the wrapper `dirql_sim_top`.
    pub path: &'static str,
    /// Bits.
    pub width: u32,
    /// Whether a waveform must have it.
    pub need: Need,
    /// Its group in the GTKWave save file (`""`: none).
    pub group: &'static str,
}

const fn s(name: &'static str, path: &'static str, width: u32, need: Need, group: &'static str) -> Signal {
    Signal { name, path, width, need, group }
}

use Need::*;

/// Every signal, in the order of the waveform readers' frame slots (the required ones
/// first, as `signal_map::frame_of` takes them).
pub const TABLE: &[Signal] = &[
    s("clk_i", "clk_i", 1, Required, "PCI"),
    s("rst_ni", "rst_ni", 1, Required, "PCI"),
    s("frame_n", "pci.frame_n", 1, Required, "PCI"),
    s("irdy_n", "pci.irdy_n", 1, Required, "PCI"),
    s("trdy_n", "pci.trdy_n", 1, Required, "PCI"),
    s("devsel_n", "pci.devsel_n", 1, Required, "PCI"),
    s("stop_n", "pci.stop_n", 1, Required, "PCI"),
    s("cbe_n", "pci.cbe_n", 4, Required, "PCI"),
    s("ad", "pci.ad", 32, Required, "PCI"),
    s("par", "pci.par", 1, Required, "PCI"),
    s("idsel", "pci.idsel", 1, Required, ""),
    s("ad_drivers", "pci.ad_drivers", 2, Required, "PCI"),
    s("inta_n", "pci.inta_n", 1, Required, "interrupt line"),
    s("dev_inta_n", "pci.dev_inta_n", 1, Required, "interrupt line"),
    s("cpu0_irql", "host.cpu0_irql", 5, Required, "CPU0"),
    s("cpu1_irql", "host.cpu1_irql", 5, Required, "CPU1"),
    s("cpu0_routine", "host.cpu0_routine", 4, Required, "CPU0"),
    s("cpu1_routine", "host.cpu1_routine", 4, Required, "CPU1"),
    s("cpu0_op", "host.cpu0_op", 8, Required, "CPU0"),
    s("cpu1_op", "host.cpu1_op", 8, Required, "CPU1"),
    s("isr_ret", "host.isr_ret", 4, Required, "interrupt line"),
    s("lock_owner", "host.lock_owner", 2, Required, "interrupt line"),
    s("pic_in_service", "host.pic_in_service", 1, Required, "interrupt line"),
    s("pic_deliver", "host.pic_deliver", 1, Required, "interrupt line"),
    s("pic_eoi", "host.pic_eoi", 1, Required, "interrupt line"),
    s("pic_masked", "host.pic_masked", 1, Required, "interrupt line"),
    s("bus_cpu", "host.bus_cpu", 2, Required, "PCI"),
    s("posted", "host.posted", 4, Required, "PCI"),
    s("cpu0_note", "host.cpu0_note", 32, Required, "CPU0"),
    s("cpu1_note", "host.cpu1_note", 32, Required, "CPU1"),
    // The device probes: 0, 1 and 7 have a role every device fills (the sources latched,
    // the sources enabled, the interrupt block's event inputs: docs/sim-interface.md);
    // 2-6 are the device's own, named by its profile.
    s("latched", "dev_probe0_o", 32, Required, "device state"),
    s("enabled", "dev_probe1_o", 32, Required, "device state"),
    s("probe2", "dev_probe2_o", 32, Required, "device state"),
    s("probe3", "dev_probe3_o", 32, Required, "device state"),
    s("probe4", "dev_probe4_o", 32, Required, "device state"),
    s("probe5", "dev_probe5_o", 32, Required, "device state"),
    s("probe6", "dev_probe6_o", 32, Required, "device state"),
    s("dev_events", "dev_probe7_o", 32, Required, "device state"),
    s("msi", "host.msi", 16, Optional, "interrupt line"),
    s("bus_issuer", "host.bus_issuer", 16, Optional, "PCI"),
    s("exclusive", "host.exclusive", 2, Optional, "interrupt line"),
    // Slot 1 of a two-slot model (docs/sim-interface.md, "Two slots"): absent elsewhere.
    s("idsel1", "host1.idsel", 1, Slot1, ""),
    s("isr_ret1", "host1.isr_ret", 4, Slot1, ""),
    s("lock_owner1", "host1.lock_owner", 2, Slot1, ""),
    s("cpu_slot", "host1.cpu_slot", 2, Slot1, ""),
    s("dev1_inta_n", "dev1_inta_no", 1, Slot1, ""),
    s("slot_ad_oe", "slot_ad_oe_o", 2, Slot1, ""),
    s("dev1_latched", "dev1_probe0_o", 32, Slot1, ""),
    s("dev1_enabled", "dev1_probe1_o", 32, Slot1, ""),
    s("dev1_probe2", "dev1_probe2_o", 32, Slot1, ""),
    s("dev1_probe3", "dev1_probe3_o", 32, Slot1, ""),
    s("dev1_probe4", "dev1_probe4_o", 32, Slot1, ""),
    s("dev1_probe5", "dev1_probe5_o", 32, Slot1, ""),
    s("dev1_probe6", "dev1_probe6_o", 32, Slot1, ""),
    s("dev1_events", "dev1_probe7_o", 32, Slot1, ""),
    s("cpu0_ram_read", "host.cpu0_ram_read", 32, Optional, "host RAM"),
    s("cpu1_ram_read", "host.cpu1_ram_read", 32, Optional, "host RAM"),
    s("dma_landed", "host.dma_landed", 16, Optional, "host RAM"),
    s("fault", "host.fault", 4, Shown, "PCI"),
];

/// The signal called `name`.
pub fn by_name(name: &str) -> Option<&'static Signal> {
    TABLE.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_unique_and_required_signals_come_first() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[..i] {
                assert!(a.name != b.name && a.path != b.path, "{} / {}", a.name, a.path);
            }
        }
        let first_not_required = TABLE.iter().position(|s| s.need != Need::Required).unwrap_or(TABLE.len());
        assert!(TABLE[first_not_required..].iter().all(|s| s.need != Need::Required));
    }
}
