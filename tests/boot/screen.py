"""Reading the framebuffer console's text back from a QEMU screendump.

No OCR: the kernel draws each character as a glyph of the console font
(tools/psf2c converts the Debian PSF file named by FONT_PSF in the
Makefile), cell by cell from the top-left pixel, on the palette's black
background. So a cell's ink pattern (pixels that are not black) is exactly
one glyph's bitmap, or that bitmap with the cursor underline (the bottom
(height + 7) // 8 rows filled), whatever the colour. Cells that match no
glyph read as '\\ufffd'.
"""
import gzip
import importlib.machinery
import importlib.util
import re
from pathlib import Path

from qemu import ROOT

FIRST, LAST = 0x20, 0x7E  # the code points the kernel's font has (psf2c's default range)
UNKNOWN = "\ufffd"


def _load_psf2c():
    loader = importlib.machinery.SourceFileLoader("psf2c", str(ROOT / "tools/psf2c"))
    spec = importlib.util.spec_from_loader("psf2c", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def font_path():
    """The PSF file the build converts (the Makefile's FONT_PSF)."""
    m = re.search(r"^FONT_PSF\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert m, "no FONT_PSF in the Makefile"
    return Path(m.group(1))


class Font:
    """The console font as ink patterns: bytes of 0/1, row by row."""

    def __init__(self):
        psf2c = _load_psf2c()
        data = font_path().read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        psf = psf2c.parse_psf(data)
        self.width, self.height = psf.width, psf.height
        cursor_rows = (self.height + 7) // 8
        self.patterns = {}
        for cp in range(FIRST, LAST + 1):
            glyph = psf.glyphs[psf.codepoints[cp]]
            rows = [self._row_bits(glyph, y, psf.bytes_per_row) for y in range(self.height)]
            self.patterns.setdefault(b"".join(rows), chr(cp))
            with_cursor = rows[:self.height - cursor_rows] + [b"\x01" * self.width] * cursor_rows
            self.patterns.setdefault(b"".join(with_cursor), chr(cp))

    def _row_bits(self, glyph, y, bytes_per_row):
        bits = int.from_bytes(glyph[y * bytes_per_row:(y + 1) * bytes_per_row], "big")
        top = bytes_per_row * 8 - 1
        return bytes((bits >> (top - x)) & 1 for x in range(self.width))


_font = None


def font():
    global _font
    if _font is None:
        _font = Font()
    return _font


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255) as QEMU writes it."""
    data = Path(path).read_bytes()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert m, f"{path}: not a P6 PPM"
    w, h = int(m.group(1)), int(m.group(2))
    pixels = data[m.end():m.end() + w * h * 3]
    assert len(pixels) == w * h * 3, f"{path}: truncated"
    return w, h, pixels


def ink_map(pixels):
    """One byte per pixel: 1 where it is not black (the console's background)."""
    to01 = bytes([0] + [1] * 255)
    n = len(pixels) // 3
    ink = 0
    for c in range(3):
        ink |= int.from_bytes(pixels[c::3].translate(to01), "big")
    return ink.to_bytes(n, "big")


def ink_colours(width, pixels, row):
    """The set of (r, g, b) colours drawn in cell row `row`, black left out."""
    f = font()
    colours = set()
    for y in range(row * f.height, (row + 1) * f.height):
        line = pixels[y * width * 3:(y + 1) * width * 3]
        colours.update(zip(line[0::3], line[1::3], line[2::3]))
    colours.discard((0, 0, 0))
    return colours


def screen_text(width, height, pixels):
    """The text on screen, one string per cell row, trailing blanks removed."""
    f = font()
    ink = ink_map(pixels)
    lines = []
    for row in range(height // f.height):
        chars = []
        for col in range(width // f.width):
            x, y0 = col * f.width, row * f.height
            cell = b"".join(ink[(y0 + y) * width + x:(y0 + y) * width + x + f.width]
                            for y in range(f.height))
            chars.append(f.patterns.get(cell, UNKNOWN))
        lines.append("".join(chars).rstrip())
    return lines
