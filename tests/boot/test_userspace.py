"""User space in QEMU: static Linux binaries as init, the user test suite."""
import re
import shutil
import subprocess

import pytest

from qemu import BUILD, EXIT_FAILURE, EXIT_SUCCESS, ROOT, boot, image


def test_hello_as_init(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/hello"))
    assert "hello from user space" in b.log, b.log[-3000:]
    # pid 1 exiting is fatal, as on Linux
    assert "panic: init (pid 1) exited with status 0" in b.log
    assert b.exitstatus == EXIT_FAILURE


def test_static_pie_hello_as_init(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/hello-pie"))
    assert "hello from user space" in b.log, b.log[-3000:]


@pytest.mark.skipif(not shutil.which("musl-gcc"), reason="musl-gcc (musl-tools) missing")
def test_hello_built_outside_the_build_runs_as_init(tmp_path):
    """gcc + musl, not our clang flags: an ordinary static binary."""
    src = tmp_path / "outside.c"
    src.write_text('#include <stdio.h>\nint main(int c, char **v)'
                   '{ printf("outside hello, argv0=%s\\n", v[0]); return 3; }\n')
    exe = tmp_path / "outside"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(exe), str(src)], check=True)
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/outside",
                             ramdisk_files={"/bin/outside": (exe.read_bytes(), 0o755)}))
    assert "outside hello, argv0=/bin/outside" in b.log, b.log[-3000:]
    assert "panic: init (pid 1) exited with status 0x300" in b.log


def test_a_program_that_needs_a_dynamic_linker_is_refused(tmp_path):
    dyn = shutil.which("true")
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/dynamic",
                             ramdisk_files={"/bin/dynamic": (open(dyn, "rb").read(), 0o755)}))
    assert "exec: /bin/dynamic: needs a dynamic linker (PT_INTERP)" in b.log, b.log[-3000:]
    assert "cannot start init /bin/dynamic: ENOEXEC" in b.log


def test_user_test_suite(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/testrunner"), timeout=600)
    fails = [l for l in b.log.splitlines() if l.startswith("FAIL ")]
    m = re.search(r"^(\d+) passed, (\d+) failed$", b.log, re.M)
    assert m, "no summary line:\n" + b.log[-5000:]
    assert not fails and m[2] == "0", "\n".join(fails) + "\n" + b.log[-5000:]
    assert int(m[1]) >= 11
    assert b.exitstatus == EXIT_SUCCESS


BUSYBOX_SCRIPT = b"""\
echo script: start
(echo from-a-subshell)
echo a b c | wc -w
echo "x y z" | sed s/y/Y/ | tr a-z A-Z
echo "rc says $(uname -s)"
ls /
cat /etc/motd
uname -sm
mkdir -p /tmp/d/e
echo hello > /tmp/d/e/f
cat /tmp/d/e/f
rm -r /tmp/d
ls -d /tmp/d || echo removed
sha256sum /etc/hostname
echo script: done
poweroff -f
"""


def test_debian_busybox_static_runs_a_script(tmp_path):
    """Debian's busybox-static (glibc, unmodified) as the shell."""
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/sh -- /tmp/script.sh",
                             ramdisk_files={"/tmp/script.sh": (BUSYBOX_SCRIPT, 0o755)}))
    log = b.log[b.log.find("script: start"):]
    # the subshell is the regression test for clone(CLONE_CHILD_SETTID) racing
    # a child that exits first (a kernel panic once)
    for want in ("script: start", "from-a-subshell", "\n3\n", "X Y Z", "rc says Linux",
                 "sbin", "Welcome.", "Linux x86_64", "hello", "removed", "script: done"):
        assert want in log, f"{want!r} missing:\n{log[:3000]}"
    import hashlib
    digest = hashlib.sha256((ROOT / "fs/etc/hostname").read_bytes()).hexdigest()
    assert f"{digest}  /etc/hostname" in log
    assert "power-off requested" in b.log
    assert b.exitstatus == EXIT_SUCCESS


def test_init_runs_rc_and_powers_off(tmp_path):
    b = boot(tmp_path)  # "-- poweroff": /etc/rc, then power-off
    assert "init: pid 1 starting" in b.log
    assert "rc: /etc/rc done" in b.log, b.log[-3000:]
    assert "rc: Linux 6.1.0-kernel on kernel; MemFree:" in b.log
    assert "init: power-off: stopping every process" in b.log
    assert b.exitstatus == EXIT_SUCCESS


def test_acpi_power_off_without_the_qemu_exit_device(tmp_path):
    """On a PC there is no isa-debug-exit: power-off goes through ACPI S5."""
    b = boot(tmp_path, debug_exit=False)
    assert "power: power-off: ACPI S5; reset: ACPI reset register" in b.log, b.log[-3000:]
    assert "power: ACPI S5 power-off" in b.log
    assert b.exitstatus == 0  # QEMU ends when the guest cuts the power


def test_reboot_restarts_the_machine(tmp_path):
    """reboot -f: the ACPI reset register restarts (-no-reboot makes QEMU exit 0)."""
    script = b"echo rebooting\nreboot -f\n"
    b = boot(tmp_path, image(tmp_path, cmdline="init=/bin/sh -- /tmp/r.sh",
                             ramdisk_files={"/tmp/r.sh": (script, 0o755)}))
    assert "kernel: restart requested" in b.log, b.log[-3000:]
    assert b.exitstatus == 0
