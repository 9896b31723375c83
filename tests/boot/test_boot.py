"""Whole boots in QEMU + OVMF: loader hand-off, memory map, self-checks."""
import subprocess

import pytest

from qemu import BUILD, EXIT_FAILURE, EXIT_SUCCESS, ROOT, boot, image

PAGE = 4096
LOADER_CLASSES = {"kernel", "ramdisk", "boot-pagetables", "boot-stack", "boot-info", "loader"}


def totals(regions):
    t = {}
    for _, _, pages, cls in regions:
        t[cls] = t.get(cls, 0) + pages
    return t


@pytest.fixture(scope="module")
def default_boot(tmp_path_factory):
    return boot(tmp_path_factory.mktemp("default"))


def test_boot_exits_with_success(default_boot):
    assert default_boot.exitstatus == EXIT_SUCCESS, default_boot.log[-3000:]
    assert "loader: exiting boot services" in default_boot.log
    assert "kernel: power-off requested by pid 1 (init)" in default_boot.log


def test_memmap_is_sorted_disjoint_and_consistent(default_boot):
    regions = default_boot.memmap()
    prev_end = 0
    for base, end, pages, cls in regions:
        assert base % PAGE == 0 and end > base
        assert pages == (end - base) // PAGE
        assert base >= prev_end, f"region at {base:#x} overlaps the previous one"
        prev_end = end
    # adjacent regions of one class are merged
    for a, b in zip(regions, regions[1:]):
        assert not (a[1] == b[0] and a[3] == b[3]), f"unmerged neighbours at {b[0]:#x}"


def test_memmap_covers_loader_and_firmware_classes(default_boot):
    t = totals(default_boot.memmap())
    for cls in LOADER_CLASSES | {"free", "firmware-boot", "firmware-runtime"}:
        assert t.get(cls, 0) > 0, f"no {cls} region: {t}"
    assert t["boot-stack"] == 16  # BOOT_STACK_PAGES
    kernel_elf = (BUILD / "kernel.elf").stat().st_size
    assert 0 < t["kernel"] * PAGE < 4 * kernel_elf + (1 << 20)
    ramdisk = (BUILD / "ramdisk.img").stat().st_size
    assert t["ramdisk"] == (ramdisk + PAGE - 1) // PAGE


def test_memmap_totals_are_plausible_for_512m(default_boot):
    t = totals(default_boot.memmap())
    ram = sum(p for c, p in t.items() if c not in ("mmio", "reserved")) * PAGE
    assert 500 << 20 <= ram <= 512 << 20, f"RAM seen: {ram >> 20} MiB"
    assert t["free"] * PAGE >= 400 << 20


def test_self_checks_pass(default_boot):
    log = default_boot.log
    assert "selfcheck: kernel W^X: ok" in log
    assert "selfcheck: boot stack [0xffffc00000001000, 0xffffc00000011000): guard page 0xffffc00000000000 unmapped (ok)" in log
    assert "selfcheck: page 0: unmapped (ok)" in log
    assert "selfcheck: direct map:" in log and ", 0 wrong: ok" in log
    assert "loader allocations classified: ok" in log
    assert "error" not in "\n".join(default_boot.lines("[")), log


def test_ktest_unknown_name_fails(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=kernel_wx,no_such_test"))
    assert 'ktest: no test named "no_such_test"' in b.log
    assert "ktest: 1 passed, 1 failed" in b.log
    assert b.exitstatus == EXIT_FAILURE


def test_null_dereference_is_a_decoded_page_fault(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=null_deref"))
    assert "panic: page fault at 0: not-present page on read in kernel mode" in b.log, b.log[-3000:]
    assert "backtrace:" in b.log and "rip 0xffffffff8" in b.log
    assert b.exitstatus == EXIT_FAILURE


def test_cmdline_options_are_parsed_and_unknown_reported(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="log=selfcheck:warn frobnicate=1 -- poweroff\n"))
    assert b.exitstatus == EXIT_SUCCESS
    assert 'cmdline: "log=selfcheck:warn frobnicate=1 -- poweroff"' in b.log
    assert 'cmdline: warning: unknown option "frobnicate" ignored' in b.log
    assert "selfcheck: kernel W^X" not in b.log  # info lines silenced


def test_boots_without_a_gop_framebuffer(tmp_path):
    b = boot(tmp_path, extra=("-vga", "none"))
    assert "loader: no GOP framebuffer" in b.log
    assert b.exitstatus == EXIT_SUCCESS


def test_memmap_tool_renders_a_real_boot(default_boot, tmp_path):
    log = tmp_path / "serial.log"
    log.write_text(default_boot.log)
    svg = tmp_path / "memmap.svg"
    r = subprocess.run([str(ROOT / "tools/memmap"), str(log), "--svg", str(svg)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "kernel" in r.stdout and "TOTAL" in r.stdout
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    r = subprocess.run([str(ROOT / "tools/memmap"), str(log), "--check"], capture_output=True)
    assert r.returncode == 0, r.stderr
