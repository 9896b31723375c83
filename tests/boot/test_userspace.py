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
