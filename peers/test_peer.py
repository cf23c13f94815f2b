"""cocotb peer of `dirql bench`: the same adapter RTL, a conventional PCI master written
here (FRAME#/IRDY#/TRDY#/DEVSEL#/STOP#, single data phase, PAR), and the three workloads
of `dirql bench`: idle clocks, MMIO write+read pairs to SCRATCH, and interrupt round trips
(the retrace interrupt, serviced by a coroutine that does what the reference miniport's
HwVidInterrupt does: read INT_STATUS and INT_ENABLE, dismiss the retrace through CR11
saving and restoring the CRTC index; devices/display/src/miniport.rs).

Works with cocotb 1.9 and 2.x. Figures go to the JSON file named by PEER_OUT."""

import json
import os
import time

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, Timer

PERIOD_NS = 30
CMD_IO_READ, CMD_IO_WRITE = 0x2, 0x3
CMD_MEM_READ, CMD_MEM_WRITE = 0x6, 0x7
CMD_CFG_READ, CMD_CFG_WRITE = 0xA, 0xB
BAR0, BAR1, BAR2 = 0xE000_0000, 0x0000_C000, 0xE000_1000
REG_ID, REG_INT_STATUS, REG_INT_ENABLE, REG_SCRATCH = 0x000, 0x004, 0x008, 0x010
VGA_CRTC_INDEX, VGA_CRTC_DATA, CR_VSE, CR11_REARM = 0x14, 0x15, 0x11, 0x10
INT_VBLANK = 0x1
ID_VALUE, VENDOR_DEVICE = 0xD1C0_0001, None

IDLE_CYCLES = int(os.environ.get("PEER_IDLE_CYCLES", "100000"))
MMIO_PAIRS = int(os.environ.get("PEER_MMIO_PAIRS", "1000"))
IRQS = int(os.environ.get("PEER_IRQS", "10"))


def timer(ns):
    try:
        return Timer(ns, unit="ns")  # cocotb 2.x
    except TypeError:
        return Timer(ns, units="ns")  # cocotb 1.x


def parity(*words):
    x = 0
    for w in words:
        x ^= w
    return bin(x).count("1") & 1


class PciMaster:
    """Conventional PCI master (PCI Local Bus 3.0, 3.3): one data phase per transaction,
    retry on STOP# without TRDY#, Master-Abort when no DEVSEL# by a+5."""

    def __init__(self, dut, clk):
        self.d, self.edge, self.fall = dut, RisingEdge(clk), FallingEdge(clk)
        self.clocks = 0

    async def tick(self):
        await self.edge
        self.clocks += 1

    async def xact(self, cmd, addr, be=0xF, data=None, idsel=0):
        d, write = self.d, data is not None
        while True:
            # Address phase (interval a).
            d.m_frame_n.value = 0
            d.m_ad.value = addr
            d.m_ad_oe.value = 1
            d.m_cbe_n.value = cmd
            d.m_idsel.value = idsel
            await self.tick()
            # a+1: last (only) data phase: FRAME# up, IRDY# down; PAR of the address.
            cbe_n = ~be & 0xF
            d.m_frame_n.value = 1
            d.m_irdy_n.value = 0
            d.m_cbe_n.value = cbe_n
            d.m_idsel.value = 0
            d.m_par.value = parity(addr, cmd)
            d.m_par_oe.value = 1
            if write:
                d.m_ad.value = data
            else:
                d.m_ad_oe.value = 0
            waited, value, retry = 0, None, False
            while True:
                # Sample in the middle of the clock what the rising edge will sample:
                # simulators differ in whether a read right after the edge sees the
                # flops' old or new values (Icarus old, Verilator new).
                await self.fall
                trdy, stop, devsel = int(d.trdy_n.value), int(d.stop_n.value), int(d.devsel_n.value)
                if trdy == 0 and not write:
                    value = int(d.ad.value)
                await self.tick()
                if write:
                    d.m_par.value = parity(data, cbe_n)
                else:
                    d.m_par_oe.value = 0
                if trdy == 0:
                    break
                if stop == 0:
                    retry = True
                    break
                waited += 1
                if waited >= 4 and devsel == 1:
                    raise AssertionError(f"master abort at {addr:#x}")
            # Bus idle for one clock (no fast back-to-back); PAR of the last data phase.
            d.m_irdy_n.value = 1
            d.m_ad_oe.value = 0
            d.m_cbe_n.value = 0xF
            await self.tick()
            d.m_par_oe.value = 0
            if not retry:
                return value

    async def cfg_write(self, reg, value):
        await self.xact(CMD_CFG_WRITE, reg, 0xF, value, idsel=1)

    async def cfg_read(self, reg):
        return await self.xact(CMD_CFG_READ, reg, 0xF, None, idsel=1)

    async def mem_write32(self, addr, value):
        await self.xact(CMD_MEM_WRITE, addr, 0xF, value)

    async def mem_read32(self, addr):
        return await self.xact(CMD_MEM_READ, addr)

    async def io_write8(self, port, value):
        lane = port & 3
        await self.xact(CMD_IO_WRITE, BAR1 + port, 1 << lane, (value & 0xFF) << (8 * lane))

    async def io_read8(self, port):
        lane = port & 3
        return (await self.xact(CMD_IO_READ, BAR1 + port, 1 << lane) >> (8 * lane)) & 0xFF


async def start(dut):
    """Clock (cocotb's unless the HDL makes its own), reset, enumeration."""
    clk = dut.dut.clk_i  # the adapter's clock pin: works whichever side generates it
    if os.environ.get("PEER_HDL_CLOCK") != "1":
        from cocotb.clock import Clock

        try:
            c = Clock(dut.clk, PERIOD_NS, unit="ns")
        except TypeError:
            c = Clock(dut.clk, PERIOD_NS, units="ns")
        cocotb.start_soon(c.start())
    for name, v in [("m_frame_n", 1), ("m_irdy_n", 1), ("m_cbe_n", 0xF), ("m_ad", 0), ("m_ad_oe", 0),
                    ("m_par", 0), ("m_par_oe", 0), ("m_idsel", 0), ("rst_n", 0)]:
        getattr(dut, name).value = v
    m = PciMaster(dut, clk)
    for _ in range(4):
        await m.tick()
    dut.rst_n.value = 1
    await m.tick()
    # Enumeration: BARs, then I/O + memory decode (Command bits 0, 1).
    await m.cfg_write(0x10, BAR0)
    await m.cfg_write(0x14, BAR1)
    await m.cfg_write(0x18, BAR2)
    await m.cfg_write(0x04, 0x0003)
    bar0 = await m.cfg_read(0x10)
    assert bar0 == BAR0, f"BAR0 reads {bar0:#x}"
    ident = await m.mem_read32(BAR0 + REG_ID)
    assert ident == ID_VALUE, f"REG_ID reads {ident:#x}"
    return m, clk


def record(key, value):
    path = os.environ.get("PEER_OUT")
    if not path:
        return
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data[key] = value
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


@cocotb.test()
async def idle(dut):
    m, clk = await start(dut)
    t = time.perf_counter()
    if os.environ.get("PEER_HDL_CLOCK") == "1":
        # Nothing to do in Python for these clocks: let the simulator run them.
        await timer(IDLE_CYCLES * PERIOD_NS)
    else:
        for _ in range(IDLE_CYCLES):
            await m.edge
    dt = time.perf_counter() - t
    record("idle_cycles_per_s", IDLE_CYCLES / dt)


@cocotb.test()
async def mmio(dut):
    m, clk = await start(dut)
    c0, t = m.clocks, time.perf_counter()
    for i in range(MMIO_PAIRS):
        v = 0x5A5A_0000 | (i & 0xFFFF)
        await m.mem_write32(BAR0 + REG_SCRATCH, v)
        r = await m.mem_read32(BAR0 + REG_SCRATCH)
        assert r == v, f"SCRATCH reads {r:#x}, wrote {v:#x}"
    dt = time.perf_counter() - t
    record("mmio_txn_per_s", 2 * MMIO_PAIRS / dt)
    record("mmio_cycles_per_txn", (m.clocks - c0) / (2 * MMIO_PAIRS))


@cocotb.test()
async def irq(dut):
    m, clk = await start(dut)
    await m.io_write8(VGA_CRTC_INDEX, 0x00)
    await m.mem_write32(BAR0 + REG_INT_ENABLE, INT_VBLANK)
    t = time.perf_counter()
    for _ in range(IRQS):
        if int(dut.inta_n.value) == 1:
            await FallingEdge(dut.inta_n)
        await m.tick()
        # HwVidInterrupt (reference miniport): ours?
        status = await m.mem_read32(BAR0 + REG_INT_STATUS)
        enable = await m.mem_read32(BAR0 + REG_INT_ENABLE)
        mine = status & enable
        assert mine & INT_VBLANK, f"INTA# low but INT_STATUS {status:#x} & INT_ENABLE {enable:#x}"
        # Dismiss the retrace through CR11, saving and restoring the CRTC index.
        saved = await m.io_read8(VGA_CRTC_INDEX)
        await m.io_write8(VGA_CRTC_INDEX, CR_VSE)
        cr11 = await m.io_read8(VGA_CRTC_DATA)
        await m.io_write8(VGA_CRTC_DATA, cr11 & ~CR11_REARM)
        await m.io_write8(VGA_CRTC_DATA, cr11 | CR11_REARM)
        await m.io_write8(VGA_CRTC_INDEX, saved)
        assert int(dut.inta_n.value) == 1, "INTA# still asserted after the CR11 dismissal"
    dt = time.perf_counter() - t
    record("irq_round_trips_per_s", IRQS / dt)
