"""Tests for tools/bench: parsing, the table, the newc writer (no QEMU here)."""
import importlib.machinery
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    loader = importlib.machinery.SourceFileLoader("bench_tool", str(ROOT / "tools" / "bench"))
    spec = importlib.util.spec_from_loader("bench_tool", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


bench = load_tool()

OURS_LOG = (
    "\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n"
    "loader: command line: \"init=/bin/bench\"\r\n"
    "[    0.012000] pmm: 503804 KiB free after reclaim: 98.7% of the 510352 KiB of "
    "conventional memory the firmware reported\r\n"
    "[    0.149532] boot: init's first system call 149532107 ns after kernel entry; "
    "kernel uses 1840 KiB (460 frames) after boot\r\n"
    "bench: start on Linux 6.1.0-kernel x86_64\r\n"
    "bench: sysinfo totalram 516112384 freeram 515633152 bytes\r\n"
    "BENCH boot_to_init 1 149871467 149871467\r\n"
    "BENCH getppid 20000 5620361 281\r\n"
    "[    9.750719] syscall: warning: pid 1 (bench): system call 14 is not implemented\r\n"
    "BENCH fork_exit_wait 200 93686323 468431\r\n"
    "BENCH lookup_10k FAILED 38\r\n"
    "BENCH ours_only 10 100 10\r\n"
    "bench: done: 5 benchmarks, 1 failed\r\n"
)
LINUX_LOG = (
    "bench: start on Linux 6.1.0-56-amd64 x86_64\n"
    "bench: sysinfo totalram 479653888 freeram 452419584 bytes\n"
    "BENCH boot_to_init 1 1696426352 1696426352\n"
    "BENCH getppid 20000 7180000 359\n"
    "BENCH fork_exit_wait 200 24099800 120499\n"
    "BENCH lookup_10k 2000 6460168 3230\n"
    "BENCH linux_only 1 5 5\n"
    "bench: done: 5 benchmarks, 0 failed\n"
    "[    2.547043] reboot: Power down\n"
)


def test_parse_bench_lines_failures_and_noise():
    r = bench.parse_bench(OURS_LOG)
    assert list(r) == ["boot_to_init", "getppid", "fork_exit_wait", "lookup_10k", "ours_only"]
    assert r["getppid"] == {"iters": 20000, "total_ns": 5620361, "ns_per_op": 281}
    assert r["lookup_10k"] == {"failed": 38}
    assert bench.parse_bench("no bench here\nBENCH broken line\n") == {}


def test_parse_bench_line_after_kernel_noise_on_the_same_line():
    r = bench.parse_bench("[    1.0] random: crng init done BENCH getppid 10 100 10\n")
    assert r == {"getppid": {"iters": 10, "total_ns": 100, "ns_per_op": 10}}


def test_parse_info_kernel_lines():
    info = bench.parse_info(OURS_LOG)
    assert info["first_syscall_ns"] == 149532107
    assert (info["kernel_kib"], info["kernel_frames"]) == (1840, 460)
    assert (info["free_kib"], info["free_pct"], info["conv_kib"]) == (503804, "98.7", 510352)
    assert info["freeram"] == 515633152
    assert (info["done"], info["failed"]) == (5, 1)
    assert "first_syscall_ns" not in bench.parse_info(LINUX_LOG)


def test_rows_ratio_and_missing():
    table = bench.rows(bench.parse_bench(OURS_LOG), bench.parse_bench(LINUX_LOG))
    by = {r[0]: r for r in table}
    assert [r[0] for r in table] == ["boot_to_init", "getppid", "fork_exit_wait", "lookup_10k",
                                     "ours_only", "linux_only"]
    assert by["getppid"] == ("getppid", "281", "359", "0.78")
    assert by["fork_exit_wait"][3] == "3.89"
    assert by["lookup_10k"] == ("lookup_10k", "FAILED (ENOSYS)", "3,230", "n/a")
    assert by["ours_only"][2:] == ("n/a", "n/a")
    assert by["linux_only"][1] == "n/a"


def test_tables_text_and_markdown():
    table = bench.rows(bench.parse_bench(OURS_LOG), bench.parse_bench(LINUX_LOG))
    text = bench.text_table(table)
    assert text.splitlines()[0].split() == ["benchmark", "ours", "(ns/op)", "Linux", "(ns/op)",
                                            "ours/Linux"]
    assert any(l.split() == ["getppid", "281", "359", "0.78"] for l in text.splitlines())
    md = bench.md_table(table).splitlines()
    assert md[0] == "| benchmark | ours (ns/op) | Linux (ns/op) | ours/Linux |"
    assert md[1] == "|---|---:|---:|---:|"
    assert "| getppid | 281 | 359 | 0.78 |" in md
    assert len(md) == 2 + len(table)


def test_memory_lines():
    info = bench.parse_info(OURS_LOG)
    mem = bench.memory_lines(info, bench.parse_info(LINUX_LOG), (342780, 280068))
    assert mem[0].startswith("kernel image (loaded segments of build/kernel.elf): 334 KiB")
    assert mem[1] == "frames used by the kernel after boot: 460 frames (1840 KiB)"
    assert "503804 KiB, 98.7% of the 510352 KiB" in mem[2]
    empty = bench.memory_lines({}, {}, None)
    assert all(l.endswith("n/a") for l in empty)


READELF = """
Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  LOAD           0x001000 0xffffffff80000000 0xffffffff80000000 0x02eaa4 0x02eaa4 R E 0x1000
  LOAD           0x030000 0xffffffff8002f000 0xffffffff8002f000 0x012a00 0x012a00 R   0x1000
  LOAD           0x043000 0xffffffff80042000 0xffffffff80042000 0x000468 0x00f950 RW  0x1000
  GNU_STACK      0x000000 0x0000000000000000 0x0000000000000000 0x000000 0x000000 RW  0x10
"""


def test_kernel_segments():
    assert bench.kernel_segments(READELF) == (0x2eaa4 + 0x12a00 + 0xf950, 0x2eaa4 + 0x12a00 + 0x468)


def sample_entries():
    return [("bin", 0o040755, b"", (0, 0)),
            ("dev", 0o040755, b"", (0, 0)),
            ("dev/console", 0o020600, b"", (5, 1)),
            ("init", 0o100755, b"\x7fELF" + bytes(range(256)) * 3 + b"x", (0, 0)),
            ("bin/exit0", 0o100755, b"abc", (0, 0))]


def test_newc_round_trip_and_layout():
    blob = bench.write_newc(sample_entries())
    assert blob.startswith(b"070701")
    assert len(blob) % 512 == 0
    assert bench.read_newc(blob) == sample_entries()
    # every header starts on a 4-byte boundary: find them all
    off = 0
    for name, _, data, _ in sample_entries():
        assert blob[off:off + 6] == b"070701"
        namesize = int(blob[off + 94:off + 102], 16)
        assert blob[off + 110:off + 110 + namesize] == name.encode() + b"\0"
        end = off + 110 + namesize
        end += -end % 4
        end += len(data)
        off = end + (-end % 4)
    assert blob[off + 110:off + 121] == b"TRAILER!!!\0"


@pytest.mark.skipif(not shutil.which("cpio"), reason="cpio not installed (tools/deps bench)")
def test_newc_accepted_by_cpio(tmp_path):
    blob = bench.write_newc(sample_entries())
    r = subprocess.run(["cpio", "-itv", "--quiet"], input=blob, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert [l.split()[-1] for l in lines] == [e[0] for e in sample_entries()]
    console = next(l for l in lines if l.endswith("dev/console"))
    assert console.startswith("crw-------") and "5," in console and " 1 " in console
    r = subprocess.run(["cpio", "-id", "--quiet", "-D", str(tmp_path), "init", "bin/exit0"],
                       input=blob, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "init").read_bytes() == sample_entries()[3][2]
    assert (tmp_path / "bin/exit0").read_bytes() == b"abc"


def test_linux_initramfs(tmp_path):
    (tmp_path / "bench").write_bytes(b"BENCH-BINARY")
    (tmp_path / "exit0").write_bytes(b"EXIT0")
    got = {n: (m, d, r) for n, m, d, r in
           bench.read_newc(bench.linux_initramfs(tmp_path / "bench", tmp_path / "exit0"))}
    assert got["init"] == (0o100755, b"BENCH-BINARY", (0, 0))
    assert got["bin/exit0"] == (0o100755, b"EXIT0", (0, 0))
    assert got["dev/console"] == (0o020600, b"", (5, 1))
    assert got["tmp"][0] == 0o041777
    assert got["proc"][0] == 0o040755


def test_main_on_saved_logs(tmp_path, capsys):
    ours = tmp_path / "ours.log"
    linux = tmp_path / "linux.log"
    good = OURS_LOG.replace("BENCH lookup_10k FAILED 38\r\n", "BENCH lookup_10k 2000 1112245966 556122\r\n")
    ours.write_text(good)
    linux.write_text(LINUX_LOG)
    out = tmp_path / "out"
    rc = bench.main(["--ours-log", str(ours), "--linux-log", str(linux), "--out", str(out),
                     "--kernel-elf", str(tmp_path / "none.elf")])
    assert rc == 0
    md = (out / "results.md").read_text()
    assert "| lookup_10k | 556,122 | 3,230 | 172.17 |" in md
    assert "frames used by the kernel after boot: 460 frames (1840 KiB)" in md
    assert "QEMU flags (both): -machine q35 -cpu qemu64 -smp 1 -m 512M -icount shift=0,sleep=off" in md
    assert "kernel image (loaded segments of build/kernel.elf): n/a" in md
    assert "| getppid | 281 | 359 | 0.78 |" in md
    assert "getppid" in (out / "results.txt").read_text()
    assert "getppid" in capsys.readouterr().out


def test_main_fails_on_failed_benchmark_or_unfinished_run(tmp_path):
    ours = tmp_path / "ours.log"
    linux = tmp_path / "linux.log"
    ours.write_text(OURS_LOG)  # lookup_10k FAILED
    linux.write_text(LINUX_LOG)
    args = ["--ours-log", str(ours), "--linux-log", str(linux), "--out", str(tmp_path / "o")]
    assert bench.main(args) == 1
    assert "FAILED (ENOSYS)" in (tmp_path / "o" / "results.md").read_text()
    ours.write_text(OURS_LOG.replace("BENCH lookup_10k FAILED 38", "BENCH lookup_10k 1 1 1"))
    assert bench.main(args) == 0
    linux.write_text(LINUX_LOG.split("BENCH fork_exit_wait")[0])  # no "bench: done"
    assert bench.main(args) == 1
