"""The user programs and test suite, run on this Linux host: the reference kernel for our syscall ABI.

Uses what `make user` (part of `make test`) built in build/user; builds nothing.
"""
import os
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "user"
UTESTS = sorted(p.stem for p in (ROOT / "user").glob("utest-*.c"))
PROGRAMS = ["hello", "hello-pie", "exit0", "testrunner"] + UTESTS

pytestmark = pytest.mark.skipif(
    not (BIN / "testrunner").exists(),
    reason="build/user/testrunner is missing: build the user programs first (`make user`)")

# Linux-friendly settings: a bounded memory hog, loose free-memory check.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("UTEST_")}
ENV.update(UTEST_BIN_DIR=str(BIN), UTEST_OOM_LIMIT_MB="64", UTEST_TIMEOUT="30")

PT_INTERP = 3
ET_EXEC, ET_DYN = 2, 3


def elf_type_and_segments(path):
    """(e_type, [p_type, ...]) of a little-endian ELF64 file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2, f"{path} is not ELF64"
    e_type, = struct.unpack_from("<H", data, 16)
    e_phoff, = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    types = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
    return e_type, types


def run(args, timeout=30, **kw):
    return subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=timeout, **kw)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_static_without_interpreter(name):
    e_type, segments = elf_type_and_segments(BIN / name)
    assert PT_INTERP not in segments
    assert e_type == (ET_DYN if name == "hello-pie" else ET_EXEC)


@pytest.mark.parametrize("name", ["hello", "hello-pie"])
def test_hello(name):
    r = run([str(BIN / name)])
    assert (r.returncode, r.stdout) == (0, "hello from user space\n")


@pytest.mark.parametrize("name", UTESTS)
def test_each_utest_passes_alone(name):
    r = run([str(BIN / name)])
    assert r.returncode == 0, r.stderr


def test_testrunner_runs_every_utest():
    r = run([str(BIN / "testrunner")], timeout=120)
    lines = r.stdout.splitlines()
    assert lines == [f"PASS {n}" for n in UTESTS] + [f"{len(UTESTS)} passed, 0 failed"], r.stderr
    assert r.returncode == 0


def test_testrunner_reports_each_kind_of_failure(tmp_path):
    segv = tmp_path / "segv"
    segv.write_text("#!/bin/sh\nkill -SEGV $$\n")
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    for p in (segv, slow):
        p.chmod(0o755)
    r = run([str(BIN / "testrunner"), "-t", "1", "exit0", shutil.which("false"), str(segv),
             str(slow), "no-such-test"])
    assert r.stdout.splitlines() == [
        "PASS exit0",
        "FAIL false: exit status 1",
        "FAIL segv: killed by signal 11 (SIGSEGV)",
        "FAIL slow: timed out after 1 s",
        "FAIL no-such-test: exec: No such file or directory",
        "1 passed, 4 failed",
    ]
    assert r.returncode == 1


def test_testrunner_as_init_powers_off(tmp_path):
    """As pid 1 of a new pid namespace, reboot(POWER_OFF) ends the namespace by SIGINT."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or not unshare:
        pytest.skip("needs root and unshare(1) for a pid namespace")
    probe = subprocess.run([unshare, "--pid", "--fork", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no pid namespace here: {probe.stderr.decode().strip()}")
    r = run([unshare, "--pid", "--fork", str(BIN / "testrunner"), "exit0"])
    assert r.stdout.splitlines() == ["PASS exit0", "1 passed, 0 failed"], r.stderr
    # unshare reports its child's death by SIGINT as 128 + 2 (or dies of it).
    assert r.returncode in (128 + signal.SIGINT, -signal.SIGINT), r.stderr
