"""Interrupts, time and threads in QEMU: calibration, preemption, sleeps."""
import re

from qemu import EXIT_SUCCESS, boot, image

TIME_TESTS = "timer_calibration_within_1_percent,sleep_10ms_wakes_within_a_tick," \
             "preemption_two_cpu_bound_threads"


def calibration(log):
    m = re.search(r"timer: lapic base (\d+) Hz, tsc (\d+) Hz \(calibrated against PIT\)", log)
    assert m, "no calibration line:\n" + log[-3000:]
    return int(m[1]), int(m[2])


def test_boot_log_shows_interrupt_routing_and_calibration(tmp_path):
    b = boot(tmp_path)
    assert b.exitstatus == EXIT_SUCCESS
    assert re.search(r"acpi: rev 2 \S+ via XSDT: 1 CPUs, 1 IOAPICs, \d+ overrides", b.log), b.log[-3000:]
    assert "ioapic: id 0 at 0xfec00000: GSIs 0-23" in b.log
    lapic_hz, tsc_hz = calibration(b.log)
    assert 10**8 < lapic_hz < 10**10 and tsc_hz > 10**8
    assert "sched: round robin, 10 ms slices" in b.log


def test_icount_gives_qemus_exact_1ghz_apic_clock(tmp_path):
    """With -icount, virtual time is exact: QEMU's APIC timer runs at 1 GHz."""
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=" + TIME_TESTS),
             extra=("-icount", "shift=3,sleep=off"), timeout=240)
    lapic_hz, _ = calibration(b.log)
    assert abs(lapic_hz - 10**9) <= 10**7, f"lapic base {lapic_hz} Hz is not 1 GHz within 1%"
    assert "ktest: 3 passed, 0 failed" in b.log, b.log[-3000:]
    m = re.search(r"deviation lapic (\d+) ppm, tsc (\d+) ppm, clock (\d+) ppm", b.log)
    assert m and all(int(v) < 10000 for v in m.groups()), "calibration must hold within 1%"
    m = re.search(r"longest sleep (\d+) ns", b.log)
    assert m and 10**7 <= int(m[1]) < 10**7 + 10**6, "a 10 ms sleep must wake within 1 ms"
    assert b.exitstatus == EXIT_SUCCESS


def test_threads_on_a_smep_smap_machine(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=" + TIME_TESTS), extra=("-cpu", "max"))
    assert "cpu: enabled: wp nx pge smep smap umip" in b.log
    assert "ktest: 3 passed, 0 failed" in b.log, b.log[-3000:]


def test_fallbacks_pit_timer_and_legacy_pic(tmp_path):
    """The paths taken when the LAPIC timer or the IOAPIC cannot be used."""
    b = boot(tmp_path, image(tmp_path, cmdline="timer=pit irq=pic ktest=" + TIME_TESTS))
    assert "irq=pic: ISA interrupts through the legacy PIC" in b.log
    assert "timer: event source: PIT" in b.log
    assert "ktest: 3 passed, 0 failed" in b.log, b.log[-3000:]
    assert b.exitstatus == EXIT_SUCCESS
