"""Tests for tools/psf2c on synthetic PSF1/PSF2 fonts (python3 -m pytest -q tests/tools)."""
import gzip
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "psf2c"
DEBIAN_FONT = Path("/usr/share/consolefonts/Uni2-VGA16.psf.gz")


def glyph_bytes(index, size):
    """A glyph whose bytes identify its index: index low, index high, then a pattern."""
    return bytes([index & 0xFF, index >> 8] + [(index * 7 + i) & 0xFF for i in range(size - 2)])


def psf1(count=256, height=16, table=None):
    """PSF1 font; table maps glyph index -> list of code points (or lists for sequences)."""
    mode = (0x01 if count == 512 else 0) | (0x02 if table is not None else 0)
    data = bytes([0x36, 0x04, mode, height])
    data += b"".join(glyph_bytes(i, height) for i in range(count))
    if table is not None:
        for i in range(count):
            singles = [cp for cp in table.get(i, []) if isinstance(cp, int)]
            seqs = [cp for cp in table.get(i, []) if isinstance(cp, list)]
            for cp in singles:
                data += struct.pack("<H", cp)
            for seq in seqs:
                data += struct.pack("<H", 0xFFFE) + b"".join(struct.pack("<H", c) for c in seq)
            data += struct.pack("<H", 0xFFFF)
    return data


def psf2(count, width, height, table=None):
    glyph_size = height * ((width + 7) // 8)
    flags = 1 if table is not None else 0
    data = struct.pack("<4sIIIIIII", b"\x72\xb5\x4a\x86", 0, 32, flags, count, glyph_size,
                       height, width)
    data += b"".join(glyph_bytes(i, glyph_size) for i in range(count))
    if table is not None:
        for i in range(count):
            entry = table.get(i, "")
            if isinstance(entry, tuple):  # (singles, sequence)
                data += entry[0].encode() + b"\xfe" + entry[1].encode()
            else:
                data += entry.encode()
            data += b"\xff"
    return data


def run(tmp_path, font_bytes, *args, name="font.psf"):
    src = tmp_path / name
    src.write_bytes(font_bytes)
    out = tmp_path / "out.c"
    r = subprocess.run([sys.executable, str(TOOL), str(src), "-o", str(out), *args],
                       capture_output=True, text=True, timeout=60)
    return r, (out.read_text() if r.returncode == 0 else None)


def parse_c(text):
    """(fields, glyphs) from generated C: struct fields and the glyph bitmaps."""
    fields = {k: int(v, 0) for k, v in re.findall(r"\.(\w+) = (0x[0-9a-f]+|\d+),", text)}
    array = re.search(r"_glyphs\[\] = \{(.*?)\n\};", text, re.S).group(1)
    values = bytes(int(v, 16) for v in re.findall(r"0x([0-9a-f]{2})", array))
    size = fields["height"] * fields["bytes_per_row"]
    assert len(values) == (fields["count"] + 1) * size
    return fields, [values[i:i + size] for i in range(0, len(values), size)]


def glyph_of(fields, glyphs, cp):
    return glyphs[cp - fields["first"]]


def test_psf1_without_table_uses_identity(tmp_path):
    r, text = run(tmp_path, psf1(height=14))
    assert r.returncode == 0, r.stderr
    fields, glyphs = parse_c(text)
    assert fields == {"width": 8, "height": 14, "bytes_per_row": 1, "first": 0x20, "count": 95}
    for cp in range(0x20, 0x7F):
        assert glyph_of(fields, glyphs, cp) == glyph_bytes(cp, 14)
    assert glyphs[-1] == glyph_bytes(ord("?"), 14)  # no U+FFFD: '?' is the fallback
    assert "const struct font font_default = {" in text


def test_psf1_unicode_table_512(tmp_path):
    # Glyph 300 draws 'A' (and a sequence that must not count), glyph 5 U+FFFD;
    # 'B' appears only inside a sequence, so it is missing.
    table = {i: [i] for i in range(0x20, 0x7F) if chr(i) not in "AB"}
    table[300] = [0x391, ord("A"), [ord("B"), 0x301]]
    table[5] = [0xFFFD]
    r, text = run(tmp_path, psf1(count=512, height=16, table=table))
    assert r.returncode == 0, r.stderr
    fields, glyphs = parse_c(text)
    assert glyph_of(fields, glyphs, ord("A")) == glyph_bytes(300, 16)
    assert glyph_of(fields, glyphs, ord("C")) == glyph_bytes(ord("C"), 16)
    assert glyphs[-1] == glyph_bytes(5, 16)
    assert glyph_of(fields, glyphs, ord("B")) == glyph_bytes(5, 16)
    assert "no glyph for U+0042 'B'" in r.stderr


def test_psf2_wide_glyphs_with_table(tmp_path):
    # 10 pixels wide: 2 bytes per row; glyphs stored in reverse order.
    count = 128
    table = {count - 1 - cp: chr(cp) for cp in range(0x20, 0x7F)}
    table[0] = ("\u2400", "e\u0301")  # a single plus a sequence on glyph 0
    r, text = run(tmp_path, psf2(count, 10, 12, table))
    assert r.returncode == 0, r.stderr
    fields, glyphs = parse_c(text)
    assert fields["width"] == 10 and fields["height"] == 12 and fields["bytes_per_row"] == 2
    for cp in range(0x20, 0x7F):
        assert glyph_of(fields, glyphs, cp) == glyph_bytes(count - 1 - cp, 24)
    assert glyphs[-1] == glyph_bytes(count - 1 - ord("?"), 24)
    assert r.stderr == ""


def test_psf2_without_table_and_gzip(tmp_path):
    data = gzip.compress(psf2(256, 8, 8))
    r, text = run(tmp_path, data, name="font.psf.gz")
    assert r.returncode == 0, r.stderr
    fields, glyphs = parse_c(text)
    assert glyph_of(fields, glyphs, ord("x")) == glyph_bytes(ord("x"), 8)


def test_fallback_box_without_question_mark(tmp_path):
    # A 4x6 font with a table that only knows 'a': everything else is the box.
    r, text = run(tmp_path, psf2(4, 4, 6, {1: "a"}))
    assert r.returncode == 0
    fields, glyphs = parse_c(text)
    box = bytes([0x00, 0x60, 0x60, 0x60, 0x60, 0x00])  # columns 1-2, rows 1-4
    assert glyphs[-1] == box
    assert glyph_of(fields, glyphs, ord("a")) == glyph_bytes(1, 6)
    assert glyph_of(fields, glyphs, ord("b")) == box
    assert r.stderr.count("no glyph for") == 94


def test_range_and_name(tmp_path):
    r, text = run(tmp_path, psf1(), "--range", "0x41-0x43", "--name", "font_small")
    assert r.returncode == 0
    fields, glyphs = parse_c(text)
    assert fields["first"] == 0x41 and fields["count"] == 3 and len(glyphs) == 4
    assert "const struct font font_small = {" in text


@pytest.mark.parametrize("data", [
    b"not a font at all",
    b"\x36\x04",
    psf1()[:1000],
    psf2(16, 8, 8)[:20],
    psf2(16, 8, 8)[:100],
    struct.pack("<4sIIIIIII", b"\x72\xb5\x4a\x86", 0, 32, 0, 1, 99, 8, 8) + bytes(99),
    gzip.compress(b"garbage")[:10],
])
def test_bad_fonts_rejected(tmp_path, data):
    r, _ = run(tmp_path, data)
    assert r.returncode == 1
    assert r.stderr.startswith("psf2c: ")
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["--range", "0x7f-0x20"], ["--range", "x"], ["--name", "1bad"]])
def test_usage_errors(tmp_path, args):
    r, _ = run(tmp_path, psf1(), *args)
    assert r.returncode == 2


def test_output_compiles_freestanding(tmp_path):
    clang = shutil.which("clang")
    if not clang:
        pytest.skip("clang not installed")
    r, _ = run(tmp_path, psf2(256, 9, 18))
    assert r.returncode == 0
    subprocess.run([clang, "-std=c17", "-ffreestanding", "-Wall", "-Wextra", "-Werror",
                    "-I", str(ROOT), "-c", str(tmp_path / "out.c"), "-o",
                    str(tmp_path / "out.o")], check=True, timeout=60)


@pytest.mark.skipif(not DEBIAN_FONT.exists(), reason="console-setup-linux not installed")
def test_debian_font():
    r = subprocess.run([sys.executable, str(TOOL), str(DEBIAN_FONT)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    fields, glyphs = parse_c(r.stdout)
    assert (fields["width"], fields["height"], fields["count"]) == (8, 16, 95)
    assert glyph_of(fields, glyphs, ord(" ")) == bytes(16)
    assert glyph_of(fields, glyphs, ord("A")) != bytes(16)
