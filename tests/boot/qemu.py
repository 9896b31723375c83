"""Boot build/esp.img (or a modified copy) in QEMU + OVMF and capture COM1."""
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

EXIT_SUCCESS = 33  # kernel wrote 0x10 to isa-debug-exit
EXIT_FAILURE = 35  # kernel wrote 0x11 (test failure or panic)

ANSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]")


@dataclass
class Boot:
    log: str          # serial output, escapes and \r removed
    exitstatus: int   # QEMU's exit status, None if we stopped it

    def lines(self, prefix):
        return [l for l in self.log.splitlines() if l.startswith(prefix)]

    def memmap(self, label="boot"):
        """The memmap dump labelled `label` as (base, end, pages, class) tuples."""
        dumps, cur, name = [], None, None
        for l in self.log.splitlines():
            if l.startswith("memmap: begin"):
                cur, name = [], l[len("memmap: begin"):].strip()
            elif l.startswith("memmap: end"):
                if name == label:
                    dumps.append(cur)
                cur = None
            elif l.startswith("memmap: ") and cur is not None:
                b, e, p, c = l.split()[1:5]
                cur.append((int(b, 16), int(e, 16), int(p), c))
        assert dumps, f"no memmap dump '{label}' in the log:\n" + self.log[-3000:]
        return dumps[-1]


def ramdisk_with(tmp_path, files):
    """build/ramdisk.img with extra files ({path: (bytes, mode)}), via ext2tool."""
    rd = tmp_path / "ramdisk.img"
    shutil.copy(BUILD / "ramdisk.img", rd)
    for i, (path, (data, mode)) in enumerate(files.items()):
        src = tmp_path / f"rdput{i}"
        src.write_bytes(data)
        for cmd in (["put", str(src), path], ["chmod", f"{mode:o}", path]):
            subprocess.run([str(BUILD / "host/ext2tool"), str(rd), *cmd], check=True,
                           capture_output=True)
    return rd.read_bytes()


# Without a command line of its own, a test boot runs /etc/rc and powers off
# (init's "poweroff" argument) instead of waiting at a shell prompt.
NONINTERACTIVE = "-- poweroff"


def image(tmp_path, cmdline=NONINTERACTIVE, put=None, delete=(), ramdisk_files=None):
    """A copy of build/esp.img with files replaced (put: {esp_path: bytes})
    and, with ramdisk_files, files added to the root filesystem."""
    img = tmp_path / "esp.img"
    shutil.copy(BUILD / "esp.img", img)
    files = dict(put or {})
    if ramdisk_files:
        files["boot/ramdisk.img"] = ramdisk_with(tmp_path, ramdisk_files)
    if cmdline is not None:
        files["boot/cmdline.txt"] = cmdline.encode() if isinstance(cmdline, str) else cmdline
    for i, (path, data) in enumerate(files.items()):
        src = tmp_path / f"put{i}"
        src.write_bytes(data)
        subprocess.run(["mcopy", "-o", "-i", str(img), str(src), "::/" + path], check=True)
    for path in delete:
        subprocess.run(["mdel", "-i", str(img), "::/" + path], check=True)
    return img


def machine_args(tmp_path, img, serial, memory="512M"):
    """boot()'s QEMU arguments with `serial` (e.g. ("-serial", "none")) in
    place of "-serial stdio" and without "-monitor none", for tests that
    start QEMU themselves. The first serial option decides whether there is
    a COM1 at all (see test_no_serial.py)."""
    vars_copy = tmp_path / "vars.fd"
    shutil.copy(OVMF_VARS, vars_copy)
    return ["-machine", "q35", "-m", memory, "-nic", "none", "-display", "none",
            "-no-reboot", *serial,
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", f"format=raw,file={img}",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def boot(tmp_path, img=None, memory="512M", extra=(), timeout=90, until=None, debug_exit=True):
    """Boots and returns a Boot. With `until` (a regex), stops QEMU once the
    serial log matches it; otherwise waits for QEMU to exit by itself."""
    img = img or image(tmp_path)  # non-interactive: see NONINTERACTIVE
    vars_copy = tmp_path / "vars.fd"
    shutil.copy(OVMF_VARS, vars_copy)
    args = ["-machine", "q35", "-m", memory, "-nic", "none", "-display", "none",
            "-no-reboot", "-serial", "stdio", "-monitor", "none",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", f"format=raw,file={img}",
            *(("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04") if debug_exit else ()),
            *extra]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="latin-1",
                          timeout=timeout, maxread=65536)
    raw = ""
    try:
        if until:
            child.expect(until)
            raw = child.before + child.after
            try:  # collect what is already there, then stop QEMU
                raw += child.read_nonblocking(65536, timeout=0.5)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
            child.terminate(force=True)
        else:
            child.expect(pexpect.EOF)
            raw = child.before
    except pexpect.TIMEOUT:
        raw = child.before or ""
        child.terminate(force=True)
        raise AssertionError(f"QEMU timed out after {timeout} s; serial log:\n"
                             + ANSI.sub("", raw).replace("\r", "")[-4000:])
    child.close()
    log = ANSI.sub("", raw).replace("\r", "")
    return Boot(log=log, exitstatus=None if until else child.exitstatus)
