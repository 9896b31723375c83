"""Tests for tools/memmap (run from the repo root: python3 -m pytest -q tests/tools)."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "memmap"
SAMPLE = "tests/tools/data/sample_serial.log"
SVG_NS = "{http://www.w3.org/2000/svg}"


def run(*args, stdin=None, direct=False):
    cmd = [str(TOOL)] if direct else [sys.executable, str(TOOL)]
    return subprocess.run(cmd + list(args), cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60)


def line(base, end, cls, pages=None, prefix=""):
    if pages is None:
        pages = (end - base) // 4096
    return f"{prefix}memmap: 0x{base:016x} 0x{end:016x} {pages} {cls}\n"


def region_rows(stdout):
    """(base, end, size, pages, class) tuples from the region table."""
    return [tuple(m.groups()) for m in re.finditer(
        r"^(0x[0-9a-f]{16})\s+(0x[0-9a-f]{16})\s+([\d.]+ \w+)\s+(\d+)\s+([a-z-]+)$", stdout, re.M)]


def totals(stdout):
    """{class: (pages, mib)} from the totals table, including TOTAL."""
    part = stdout.split("Totals by class:")[1]
    return {m[1]: (int(m[2]), m[3]) for m in re.finditer(r"^([A-Za-z-]+)\s+(\d+)\s+([\d.]+)$", part, re.M)}


# --- parsing the sample log ------------------------------------------------

def test_tool_is_executable_with_shebang():
    assert os.access(TOOL, os.X_OK)
    assert TOOL.read_text().startswith("#!/usr/bin/env python3\n")
    r = run(SAMPLE, direct=True)
    assert r.returncode == 0, r.stderr


def test_sample_has_noise_escapes_and_two_dumps():
    raw = (ROOT / SAMPLE).read_bytes()
    assert b"\x1b[" in raw and b"\r\n" in raw and b"loader: " in raw
    r = run("--list", SAMPLE)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("0: boot (31 regions")
    assert lines[1].startswith("1: after-reclaim (27 regions")


def test_default_is_last_dump():
    r = run(SAMPLE)
    assert r.returncode == 0, r.stderr
    assert "after-reclaim" in r.stdout.splitlines()[0]
    rows = region_rows(r.stdout)
    assert len(rows) == 27
    assert rows[0] == ("0x0000000000000000", "0x000000000009f000", "636 KiB", "159", "free")
    assert rows[-1] == ("0x0000000100000000", "0x0000000140000000", "1 GiB", "262144", "free")
    classes = {row[4] for row in rows}
    assert "loader" not in classes and "firmware-boot" not in classes and "boot-info" not in classes


def test_dump_0_is_boot_map():
    r = run("--dump", "0", SAMPLE)
    assert r.returncode == 0, r.stderr
    assert "boot" in r.stdout.splitlines()[0]
    rows = region_rows(r.stdout)
    assert len(rows) == 31
    classes = {row[4] for row in rows}
    assert {"loader", "firmware-boot", "boot-info", "kernel", "mmio", "framebuffer"} <= classes
    # Lines with a colour escape, a "pmm: " prefix and a \r ending are all parsed.
    assert ("0x0000000000808000", "0x000000000080b000", "12 KiB", "3", "free") in rows
    assert ("0x0000000001210000", "0x0000000001220000", "64 KiB", "16", "boot-stack") in rows


def test_totals_of_sample():
    r = run(SAMPLE)
    t = totals(r.stdout)
    assert t["free"] == (390535, "1525.53")
    assert t["mmio"] == (65538, "256.01")
    assert t["kernel"] == (512, "2.00")
    assert t["TOTAL"] == (460450, "1798.63")
    assert sum(p for c, (p, _) in t.items() if c != "TOTAL") == t["TOTAL"][0]
    # Reclaiming only changes classes, never the amount of memory described.
    t0 = totals(run("--dump", "0", SAMPLE).stdout)
    assert t0["TOTAL"] == t["TOTAL"]
    assert t0["free"][0] + 4353 + 512 + 1 == t["free"][0]  # firmware-boot + loader + boot-info


def test_totals_synthetic_and_unknown_class():
    log = (line(0, 0x100000, "free") + line(0x100000, 0x180000, "kernel")
           + line(0x180000, 0x200000, "free") + line(0x200000, 0x201000, "weird-thing"))
    r = run(stdin=log)
    assert r.returncode == 0, r.stderr
    t = totals(r.stdout)
    assert t == {"free": (384, "1.50"), "kernel": (128, "0.50"), "weird-thing": (1, "0.00"),
                 "TOTAL": (513, "2.00")}


def test_stdin_with_timestamps_escapes_and_carriage_returns():
    log = ("\x1b[2J\x1b[01;01HBdsDxe: booting\r\n"
           "loader: jumping to kernel\r\n"
           + line(0, 0xa0000, "free", prefix="[    0.000100] \x1b[32m").rstrip("\n") + "\x1b[0m\r\n"
           + "junk\r" + line(0x100000, 0x200000, "acpi-nvs", prefix="[    0.000200] ")
           + "[    0.000300] memmap: nonsense line\n")
    r = run("-", stdin=log)
    assert r.returncode == 0, r.stderr
    assert [row[4] for row in region_rows(r.stdout)] == ["free", "acpi-nvs"]
    assert region_rows(r.stdout)[0][2:4] == ("640 KiB", "160")


def test_unmarked_dumps_split_on_lower_base():
    first = line(0, 0x1000, "firmware-boot") + line(0x1000, 0x10000, "free")
    second = line(0, 0x10000, "free")
    r = run("--list", stdin=first + "kernel: reclaiming\n" + second)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2
    assert [row[4] for row in region_rows(run(stdin=first + second).stdout)] == ["free"]
    r0 = run("--dump", "0", stdin=first + second)
    assert [row[4] for row in region_rows(r0.stdout)] == ["firmware-boot", "free"]


def test_marked_dump_keeps_unsorted_lines_together():
    log = ("memmap: begin odd\n" + line(0x2000, 0x3000, "free") + line(0, 0x1000, "free")
           + "memmap: end\n")
    r = run("--list", stdin=log)
    assert r.stdout.startswith("0: odd (2 regions")
    assert len(r.stdout.splitlines()) == 1


# --- SVG -------------------------------------------------------------------

@pytest.mark.parametrize("dump", ["0", "1"])
def test_svg_is_wellformed_and_mentions_every_class(tmp_path, dump):
    out = tmp_path / "map.svg"
    r = run("--svg", str(out), "--dump", dump, SAMPLE)
    assert r.returncode == 0, r.stderr
    root = ET.parse(out).getroot()
    assert root.tag == SVG_NS + "svg"
    texts = " ".join("".join(el.itertext()) for el in root.iter(SVG_NS + "text"))
    classes = {row[4] for row in region_rows(run("--dump", dump, SAMPLE).stdout)}
    for cls in classes:
        assert re.search(rf"\b{re.escape(cls)}: \d+ pages", texts), cls  # legend entry
    assert "Physical memory map" in texts
    # One bar per region, each class drawn with its own colour.
    fills = {}
    for rect in root.iter(SVG_NS + "rect"):
        title = rect.find(SVG_NS + "title")
        if title is not None:
            fills.setdefault(title.text.split()[-1], set()).add(rect.get("fill"))
    assert set(fills) == classes
    assert all(len(f) == 1 for f in fills.values())
    assert len({next(iter(f)) for f in fills.values()}) == len(classes)


def test_svg_escapes_labels(tmp_path):
    out = tmp_path / "x.svg"
    r = run("--svg", str(out), stdin="memmap: begin <a&b>\n" + line(0, 0x1000, "free"))
    assert r.returncode == 0, r.stderr
    assert "<a&b>" in "".join(ET.parse(out).getroot().itertext())


# --- --check ---------------------------------------------------------------

def test_check_passes_on_sample():
    for args in ([], ["--dump", "0"]):
        r = run("--check", *args, SAMPLE)
        assert r.returncode == 0, r.stderr
        assert "OK" in r.stdout


def test_check_overlap():
    r = run("--check", stdin=line(0, 0x2000, "free") + line(0x1000, 0x3000, "kernel"))
    assert r.returncode == 1
    assert "overlaps" in r.stderr


def test_check_unsorted_inside_marked_dump():
    log = "memmap: begin x\n" + line(0x2000, 0x3000, "free") + line(0, 0x1000, "free") + "memmap: end\n"
    r = run("--check", stdin=log)
    assert r.returncode == 1
    assert "not sorted" in r.stderr


def test_check_bad_pages_and_unknown_class():
    log = line(0, 0x2000, "free", pages=3) + line(0x2000, 0x3000, "weird")
    r = run("--check", stdin=log)
    assert r.returncode == 1
    assert "pages is 3, expected 2" in r.stderr
    assert "unknown class 'weird'" in r.stderr
    assert "2 problem(s)" in r.stderr


# --- errors ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "BdsDxe: loading\r\nloader: hi\n[ 0.1] memmap: nothing here\n"])
def test_no_memmap_lines_exits_2(text):
    r = run(stdin=text)
    assert r.returncode == 2
    assert "no memmap lines" in r.stderr
    assert r.stdout == ""


def test_usage_errors_exit_2(tmp_path):
    r = run(str(tmp_path / "missing.log"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    r = run("--dump", "7", SAMPLE)
    assert r.returncode == 2 and "out of range" in r.stderr
    r = run("--bogus", SAMPLE)
    assert r.returncode == 2 and "usage" in r.stderr
