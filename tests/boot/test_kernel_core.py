"""Kernel core in QEMU: in-kernel tests, fault reports, memory sizes, CPU models."""
import re
import time

import pytest

from qemu import EXIT_FAILURE, EXIT_SUCCESS, boot, image

KTESTS = ["boot_handoff", "kernel_wx", "page0_unmapped", "direct_map",
          "kstack_alloc_free_reuses_slots", "pmm_alloc_free_refcount", "pmm_exhaustion",
          "vmm_map_unmap_protect_flush", "heap_stress"]


def free_after_reclaim(log):
    m = re.search(r"pmm: (\d+) KiB free after reclaim: (\d+)\.(\d)% of the (\d+) KiB", log)
    assert m, "no reclaim report in the log:\n" + log[-3000:]
    return int(m[1]), int(m[2]) + int(m[3]) / 10, int(m[4])


def test_ktest_all(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=all"))
    for name in KTESTS:
        assert f"ktest: {name}: ok" in b.log, f"{name} did not pass:\n{b.log[-4000:]}"
    m = re.search(r"ktest: (\d+) passed, (\d+) failed", b.log)
    assert m and int(m[1]) >= len(KTESTS) and m[2] == "0", b.log[-3000:]
    assert b.exitstatus == EXIT_SUCCESS


def test_stack_overflow_is_reported_not_a_triple_fault(tmp_path):
    start = time.monotonic()
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=stack_overflow"))
    elapsed = time.monotonic() - start
    assert "panic: kernel stack overflow in ktest-overflow (guard page 0xffffc" in b.log, \
        b.log[-3000:]
    assert "recurse_forever" in b.log  # symbolized backtrace
    assert b.exitstatus == EXIT_FAILURE
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_page_fault_report_is_decoded_and_symbolized(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=null_deref"))
    assert "panic: page fault at 0: not-present page on read in kernel mode" in b.log
    assert re.search(r"0xffffffff8[0-9a-f]{7} ktest_fn_null_deref\+0x[0-9a-f]+", b.log), \
        b.log[-3000:]
    assert re.search(r"ktest_run\+0x[0-9a-f]+", b.log)  # the caller, from the frame chain
    assert b.exitstatus == EXIT_FAILURE


def test_kernel_runs_on_its_own_page_tables_and_stack(tmp_path):
    b = boot(tmp_path)
    assert "vmm: kernel page tables at" in b.log
    assert re.search(r"selfcheck: kmain stack \[0xffffc0004\w+, \w+\): guard page \w+ unmapped \(ok\), stack ok", b.log), b.log[-3000:]
    assert "memmap: begin after-reclaim" in b.log
    assert b.exitstatus == EXIT_SUCCESS


@pytest.mark.parametrize("memory,min_free_mib", [("128M", 100), ("512M", 470), ("4G", 3800)])
def test_memory_sizes(tmp_path, memory, min_free_mib):
    b = boot(tmp_path, memory=memory)
    assert b.exitstatus == EXIT_SUCCESS, b.log[-3000:]
    free_kib, percent, conventional_kib = free_after_reclaim(b.log)
    assert free_kib >= min_free_mib * 1024, f"{free_kib} KiB free"
    assert percent >= 97.0, f"only {percent}% of conventional memory is free"
    t = {}
    for _, _, pages, cls in b.memmap("after-reclaim"):
        t[cls] = t.get(cls, 0) + pages
    # after reclaim nothing of the loader or boot services is left
    for cls in ("loader", "firmware-boot", "boot-pagetables", "boot-stack", "boot-info"):
        assert cls not in t, f"{cls} still in the map after reclaim"


@pytest.mark.parametrize("cpu,expect", [
    ("max", r"cpu: enabled: wp nx pge smep smap umip"),
    ("qemu64", r"cpu: enabled: wp nx pge\n"),
])
def test_cpu_models(tmp_path, cpu, expect):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=all"), extra=("-cpu", cpu))
    assert re.search(expect, b.log), b.log[:4000]
    assert re.search(r"ktest: \d+ passed, 0 failed", b.log), b.log[-3000:]
    assert b.exitstatus == EXIT_SUCCESS
