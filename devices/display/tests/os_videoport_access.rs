//! The video port's register and port routines of every width, and their buffer
//! variants, against the adapter's RTL: byte lanes, bursts and the VGA 16-bit
//! index/data write reach the registers they name.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::cell::RefCell;
use std::rc::Rc;

use dirql_display::regs::{
    REG_FRAME_CYCLES, REG_ID, REG_ID_VALUE, REG_SCRATCH, VGA_CRTC_DATA, VGA_CRTC_INDEX, VGA_DAC_DATA, VGA_DAC_RINDEX,
    VGA_DAC_WINDEX,
};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{VideoDevice, VideoPort, VideoPortConfig};
use dirql_host::{Cpu, Machine, MachineConfig};

/// What the driver read back, step by step.
#[derive(Debug, Default, Clone, PartialEq)]
struct Seen {
    scratch: Vec<u32>,
    halves: Vec<u16>,
    bytes: Vec<u8>,
    burst: Vec<u32>,
    singles: Vec<u32>,
    crtc: (u8, u8, u16),
    palette: Vec<u8>,
}

#[test]
fn every_width_and_buffer_variant_reaches_the_register_it_names() {
    let mut m = Machine::new(&MachineConfig { seed: 2, ..MachineConfig::default() }).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let out = seen.clone();
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).unwrap();
            let (bar0, bar1) = (pci.bars[0].unwrap().base, pci.bars[1].unwrap().base);
            let dev = VideoDevice::new(VideoPortConfig::default(), pci);
            let vp = VideoPort::new(cpu, &dev);
            let mut s = Seen::default();
            let scratch = bar0 + REG_SCRATCH;
            vp.write_register_ulong(scratch, 0x1122_3344);
            vp.write_register_uchar(scratch + 1, 0xAA);
            s.scratch.push(vp.read_register_ulong(scratch));
            vp.write_register_ushort(scratch + 2, 0xBEEF);
            s.scratch.push(vp.read_register_ulong(scratch));
            s.halves = vec![vp.read_register_ushort(scratch), vp.read_register_ushort(scratch + 2)];
            s.bytes = (0..4).map(|i| vp.read_register_uchar(scratch + i)).collect();
            s.burst = vp.read_register_buffer_ulong(bar0 + REG_ID, 9);
            s.singles = vec![vp.read_register_ulong(bar0 + REG_ID), vp.read_register_ulong(bar0 + REG_FRAME_CYCLES)];
            // VGA: one 16-bit write to 3D4h sets the index and writes the data.
            vp.write_port_ushort(bar1 + VGA_CRTC_INDEX, 0x01 | 0x27 << 8);
            let index = vp.read_port_uchar(bar1 + VGA_CRTC_INDEX);
            let data = vp.read_port_uchar(bar1 + VGA_CRTC_DATA);
            s.crtc = (index, data, vp.read_port_ushort(bar1 + VGA_CRTC_INDEX));
            // The DAC: write three entries, read them back through the read index.
            vp.write_port_uchar(bar1 + VGA_DAC_WINDEX, 5);
            vp.write_port_buffer_uchar(bar1 + VGA_DAC_DATA, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
            vp.write_port_uchar(bar1 + VGA_DAC_RINDEX, 5);
            s.palette = vp.read_port_buffer_uchar(bar1 + VGA_DAC_DATA, 9);
            *out.borrow_mut() = s;
            loop {
                cpu.work(100);
            }
        }),
    );
    m.run_until(6_000);
    assert_eq!(m.stopped(), None);
    let s = seen.borrow().clone();
    assert_eq!(s.scratch, vec![0x1122_AA44, 0xBEEF_AA44], "byte and halfword writes land in their lanes only");
    assert_eq!(s.halves, vec![0xAA44, 0xBEEF]);
    assert_eq!(s.bytes, vec![0x44, 0xAA, 0xEF, 0xBE]);
    assert_eq!(s.singles, vec![REG_ID_VALUE, 2000], "ID and the default frame length (50 x 40)");
    assert_eq!(s.burst.len(), 9);
    assert_eq!((s.burst[0], s.burst[8]), (s.singles[0], s.singles[1]), "the burst reads what single reads read");
    assert_eq!(s.crtc, (0x01, 0x27, 0x2701), "3D4h word write: index 01h, CR01 := 27h");
    assert_eq!(s.palette, vec![1, 2, 3, 4, 5, 6, 7, 8, 9], "DAC entries 5-7 read back through the read index");
}
