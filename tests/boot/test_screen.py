"""The screen and the keyboard, as a person without a serial port uses them.

QEMU runs with a standard VGA card (-vga std, which OVMF drives through
its QemuVideo GOP), no UART at all ("-serial none" first, see
test_no_serial.py) and a QMP socket (qmp.py). The tests read the screen
from QMP screendumps by matching each text cell against the kernel's own
font (screen.py), and type with QMP send-key, which reaches the guest as
PS/2 key presses through the i8042.

A framebuffer whose pitch exceeds its width cannot be had from QEMU +
OVMF: QemuVideo programs the bochs "virtual width" to the mode's width in
every mode, 1366x768 included (pitch 5464 = 1366 * 4), and the cirrus and
ramfb drivers do the same. The host test of fbcon (tests/unit/test_fbcon.c)
draws into scan lines padded past the width instead and checks that the
padding is never written.
"""
import subprocess
import time

import pytest

from qemu import EXIT_SUCCESS, image, machine_args
from qmp import QMP, qmp_args
from screen import ink_colours, read_ppm, screen_text

PROMPT = "/ #"       # busybox sh's prompt "/ # ", trailing blank (and cursor) stripped
BOOT_TIMEOUT = 90    # seconds to the shell prompt (TCG under load)
STEP_TIMEOUT = 20    # seconds for one command's effect to show

# QEMU key codes (qcodes) for characters; uppercase letters add shift.
KEYS = {" ": ["spc"], "\n": ["ret"], "-": ["minus"], "=": ["equal"], "/": ["slash"],
        ".": ["dot"], ",": ["comma"], ";": ["semicolon"], "'": ["apostrophe"],
        "_": ["shift", "minus"], "|": ["shift", "backslash"], "$": ["shift", "4"],
        "(": ["shift", "9"], ")": ["shift", "0"], "*": ["shift", "8"], "+": ["shift", "equal"],
        "&": ["shift", "7"], ">": ["shift", "dot"], "<": ["shift", "comma"],
        "!": ["shift", "1"], "%": ["shift", "5"], '"': ["shift", "apostrophe"],
        ":": ["shift", "semicolon"], "?": ["shift", "slash"]}


def keys_for(ch):
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return [ch]
    if ch.isascii() and ch.isupper():
        return ["shift", ch.lower()]
    return KEYS[ch]


class Machine:
    """QEMU with a VGA screen, a PS/2 keyboard and no serial port."""

    def __init__(self, tmp_path, cmdline=""):
        self.tmp_path = tmp_path
        sock = tmp_path / "qmp.sock"
        args = machine_args(tmp_path, image(tmp_path, cmdline=cmdline),
                            ("-serial", "none", "-monitor", "none"))
        self.proc = subprocess.Popen(["qemu-system-x86_64", *args, "-vga", "std",
                                      *qmp_args(sock)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.qmp = QMP.connect(sock)
        self.shots = 0
        self.last = []
        self.last_pixels = (0, b"")

    def screen(self):
        """(width, height, lines of text) now."""
        self.shots += 1
        ppm = self.tmp_path / f"screen{self.shots % 2}.ppm"
        self.qmp.cmd("screendump", filename=str(ppm))
        w, h, pixels = read_ppm(ppm)
        self.last = screen_text(w, h, pixels)
        self.last_pixels = (w, pixels)
        return w, h, self.last

    def line_colours(self, containing):
        """The colours of the last screen's first line containing the
        given text (see ink_colours)."""
        row = next(i for i, line in enumerate(self.last) if containing in line)
        return ink_colours(*self.last_pixels, row)

    def wait_for(self, predicate, what, timeout=STEP_TIMEOUT):
        """Polls the screen until predicate(lines) holds; returns the lines."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()[2]
            if predicate(lines):
                return lines
            if time.monotonic() > deadline or self.proc.poll() is not None:
                pytest.fail(f"no {what} on the screen after {timeout} s; it shows:\n"
                            + "\n".join(l for l in lines if l))
            time.sleep(0.3)

    def wait_for_prompt(self, timeout=STEP_TIMEOUT):
        return self.wait_for(lambda lines: last_line(lines) == PROMPT, "shell prompt", timeout)

    def press(self, *qcodes):
        self.qmp.cmd("send-key", keys=[{"type": "qcode", "data": q} for q in qcodes],
                     **{"hold-time": 20})

    def type(self, text):
        for ch in text:
            self.press(*keys_for(ch))

    def run(self, command):
        """Types command and Enter at the prompt; returns the screen once the
        next prompt shows below the command's line."""
        self.type(command + "\n")
        return self.wait_for(lambda lines: after_command(lines, command) is not None and
                             last_line(lines) == PROMPT, f"output of {command!r}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)
        self.qmp.close()


def last_line(lines):
    filled = [l for l in lines if l]
    return filled[-1] if filled else ""


def after_command(lines, command):
    """The lines after the last one showing the prompt and command, or None."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == f"{PROMPT} {command}":
            return [l for l in lines[i + 1:] if l]
    return None


@pytest.fixture
def machine(tmp_path):
    m = Machine(tmp_path)
    yield m
    m.close()


# The palette (kernel/dev/fbcon.c): the default grey, and the yellow of warnings.
GREY = (0xaa, 0xaa, 0xaa)
YELLOW = (0xff, 0xff, 0x55)


def test_boot_log_and_shell_on_screen_typed_at_by_keyboard(machine):
    # warnings in yellow, info lines in grey; QEMU's default CPU (qemu64) has
    # no RDRAND. Checked on the first screen that shows both lines, before
    # later boot lines can scroll them away.
    warning, info = "random: warning: no RDSEED or RDRAND", "kernel: started /sbin/init as pid 1"
    machine.wait_for(lambda lines: any(warning in l for l in lines) and
                     any(info in l for l in lines), "the boot log", BOOT_TIMEOUT)
    assert machine.line_colours(warning) == {YELLOW}
    assert machine.line_colours(info) == {GREY}

    lines = machine.wait_for_prompt(BOOT_TIMEOUT)
    assert any("kbd: PS/2 keyboard on the i8042" in l for l in lines), "\n".join(lines)
    assert any(info in l for l in lines), "\n".join(lines)

    lines = machine.run("echo hello")
    assert after_command(lines, "echo hello") == ["hello", PROMPT]

    # shift: $ ( * ) _ | and capitals
    lines = machine.run("echo $((6*7)) A_B")
    assert after_command(lines, "echo $((6*7)) A_B") == ["42 A_B", PROMPT]
    lines = machine.run("echo A_B | wc -c")
    assert after_command(lines, "echo A_B | wc -c") == ["4", PROMPT]

    # arrows and End arrive as ESC [ D and ESC [ 4 ~ for busybox's line editing
    machine.type("echo abc")
    machine.press("left")
    machine.press("left")
    machine.type("X")
    machine.press("end")
    machine.type("Z\n")
    machine.wait_for(lambda lines: [l for l in lines if l][-2:] == ["aXbcZ", PROMPT],
                     "aXbcZ from editing keys")

    # history and editing in the middle of a line: busybox redraws with
    # cursor-movement and erase escapes, and the screen must show exactly the
    # edited line. Up, Ctrl+A, 5 x Right, X, End, Y, 2 x Left, Backspace, Delete
    lines = machine.run("echo one")
    assert after_command(lines, "echo one") == ["one", PROMPT]
    machine.press("up")
    machine.press("ctrl", "a")
    for _ in range(5):
        machine.press("right")
    machine.type("X")
    machine.press("end")
    machine.type("Y")
    machine.press("left")
    machine.press("left")
    machine.press("backspace")
    machine.press("delete")
    machine.type("\n")
    machine.wait_for(lambda lines: after_command(lines, "echo XoY") == ["XoY", PROMPT],
                     "the edited command echo XoY and its output")

    # busybox vi draws its whole screen with cursor positioning and erasing
    machine.type("vi /etc/rc\n")
    machine.wait_for(lambda lines: lines[0].startswith("# /etc/rc: ") and
                     last_line(lines).startswith("- /etc/rc "), "vi's screen")
    machine.type(":q!\n")
    machine.wait_for_prompt()

    # ^C: SIGINT to the foreground job, echoed as ^C, then a new prompt
    machine.type("sleep 100\n")
    machine.wait_for(lambda lines: last_line(lines) == f"{PROMPT} sleep 100", "sleep 100")
    machine.press("ctrl", "c")
    lines = machine.wait_for(lambda lines: after_command(lines, "sleep 100") == ["^C", PROMPT],
                             "^C and a new prompt")

    # the person at the screen turns the machine off
    machine.type("poweroff\n")
    try:
        status = machine.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("poweroff typed at the screen: QEMU still runs; screen:\n"
                    + "\n".join(l for l in machine.screen()[2] if l))
    assert status == EXIT_SUCCESS


@pytest.mark.parametrize("width,height", [(800, 600), (1920, 1080)])
def test_video_mode_from_the_command_line(tmp_path, width, height):
    """video=WxH picks the GOP mode; the console fills it: a line of one
    character more than the columns wraps after exactly width / 8 of them,
    and `stty size` reports that many columns."""
    m = Machine(tmp_path, cmdline=f"video={width}x{height}")
    try:
        m.wait_for_prompt(BOOT_TIMEOUT)
        w, h, _ = m.screen()
        assert (w, h) == (width, height)
        cols = width // 8
        command = f"printf %0{cols + 1}d 0; echo"
        lines = m.run(command)
        assert after_command(lines, command) == ["0" * cols, "0", PROMPT]
        # without a serial port the terminal's window is the screen's text size
        lines = m.run("stty size")
        assert after_command(lines, "stty size") == [f"{height // 16} {cols}", PROMPT]
    finally:
        m.close()
