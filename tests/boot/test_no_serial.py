"""Boots on a machine without a UART: the kernel must still finish, not hang.

qemu.boot() always passes "-serial stdio", and QEMU cannot take a serial
port away again: a later "-serial none" only skips adding another one, so
COM1 stays (test_no_serial_args_leave_no_uart checks both claims). These
tests therefore start QEMU themselves with the same arguments as boot()
minus the serial port (qemu.machine_args()), and judge the boot by QEMU's
exit status alone: 33 only comes from the kernel writing "success" to
isa-debug-exit.
"""
import subprocess

import pytest

from qemu import EXIT_SUCCESS, image, machine_args

TIMEOUT = 90  # seconds, as in qemu.boot()


def isa_serial_ports(serial):
    """How many isa-serial devices a q35 machine gets with these -serial
    options (the guest never runs: -S, then the monitor's 'info qtree')."""
    r = subprocess.run(["qemu-system-x86_64", "-machine", "q35", "-nic", "none",
                        "-display", "none", *serial, "-S", "-monitor", "stdio"],
                       input="info qtree\nquit\n", capture_output=True, text=True,
                       timeout=30)
    assert "bus: main-system-bus" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout.count("dev: isa-serial")


def test_no_serial_args_leave_no_uart():
    assert isa_serial_ports(("-serial", "none")) == 0
    # why boot(extra=("-serial", "none")) would not do: COM1 survives it
    assert isa_serial_ports(("-serial", "null", "-serial", "none")) == 1


@pytest.mark.parametrize("display", [(), ("-vga", "none"), ("-machine", "i8042=off")],
                         ids=["gop", "no-console-at-all", "no-keyboard-controller"])
def test_boots_without_a_serial_port(tmp_path, display):
    args = machine_args(tmp_path, image(tmp_path), ("-serial", "none", "-monitor", "none"))
    try:
        r = subprocess.run(["qemu-system-x86_64", *args, *display], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no exit within {TIMEOUT} s without a serial port: the boot hangs")
    assert r.returncode == EXIT_SUCCESS, \
        f"QEMU exited {r.returncode}, expected {EXIT_SUCCESS}; stderr:\n{r.stderr[-2000:]}"
