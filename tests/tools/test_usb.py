"""Tests for tools/usb (make usb DEV=...) without a USB stick: a regular file
stands in for the device (USB_ALLOW_REGULAR_FILE_FOR_TESTS=1) and a fake
sysfs tree and fake /proc files describe it (python3 -m pytest -q tests/tools)."""
import os
import subprocess
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "usb"
MIB = 1 << 20


class Fake:
    """A fake removable disk "sdz" (a regular file) with one partition "sdz1"."""

    def __init__(self, tmp_path, size=4 * MIB):
        self.tmp = tmp_path
        self.sys = tmp_path / "sys"
        self.blk = self.sys / "block" / "sdz"
        (self.blk / "device").mkdir(parents=True)
        (self.blk / "holders").mkdir()
        part = self.blk / "sdz1"
        (part / "holders").mkdir(parents=True)
        (part / "partition").write_text("1\n")
        (part / "dev").write_text("8:241\n")
        cls = self.sys / "class" / "block"
        cls.mkdir(parents=True)
        (cls / "sdz").symlink_to("../../block/sdz")
        (cls / "sdz1").symlink_to("../../block/sdz/sdz1")
        self.set("removable", "1")
        self.set("ro", "0")
        self.set("size", str(size // 512))
        self.set("dev", "8:240")
        self.set("device/vendor", "ACME    ")
        self.set("device/model", "Stick 3000      ")
        (tmp_path / "dev").mkdir()
        self.dev = tmp_path / "dev" / "sdz"
        self.old = bytes((i * 7 + 3) & 0xFF for i in range(size))
        self.dev.write_bytes(self.old)
        self.img = tmp_path / "disk.img"
        self.data = os.urandom(MIB + 4096)
        self.img.write_bytes(self.data)
        self.mounts = tmp_path / "mounts"
        self.mounts.write_text("proc /proc proc rw 0 0\n/dev/vda1 / ext4 rw 0 0\n")
        self.mountinfo = tmp_path / "mountinfo"
        self.mountinfo.write_text("21 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
        self.swaps = tmp_path / "swaps"
        self.swaps.write_text("Filename\tType\tSize\tUsed\tPriority\n")

    def set(self, name, value):
        (self.blk / name).write_text(value + "\n")

    def env(self, allow=True):
        env = dict(os.environ, USB_SYSFS_ROOT=str(self.sys), USB_PROC_MOUNTS=str(self.mounts),
                   USB_PROC_MOUNTINFO=str(self.mountinfo), USB_PROC_SWAPS=str(self.swaps))
        if allow:
            env["USB_ALLOW_REGULAR_FILE_FOR_TESTS"] = "1"
        return env

    def run(self, dev=None, allow=True, stdin=subprocess.DEVNULL, input=None):
        kw = {"input": input} if input is not None else {"stdin": stdin}
        return subprocess.run([str(TOOL), str(dev or self.dev), str(self.img)], env=self.env(allow),
                              capture_output=True, text=True, timeout=60, **kw)

    def untouched(self):
        return self.dev.read_bytes() == self.old


@pytest.fixture
def fake(tmp_path):
    return Fake(tmp_path)


def refused(r, message):
    assert r.returncode != 0, r.stdout + r.stderr
    assert message in r.stderr, r.stdout + r.stderr


def spawn(fake):
    return pexpect.spawn(str(TOOL), [str(fake.dev), str(fake.img)], env=fake.env(),
                         encoding="utf-8", timeout=60)


def test_usage_without_device(fake):
    r = subprocess.run([str(TOOL), "", str(fake.img)], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr


def test_refuses_a_regular_file(fake):
    r = fake.run(allow=False)
    refused(r, "is a regular file, not a block device")
    assert fake.untouched()


def test_refuses_a_character_device(fake):
    refused(fake.run(dev="/dev/null"), "/dev/null is not a block device")


def test_refuses_a_missing_device(fake):
    refused(fake.run(dev=fake.tmp / "dev" / "sdy"), "no such device")


def test_refuses_a_non_removable_disk(fake):
    fake.set("removable", "0")
    refused(fake.run(), f"{fake.dev} is not removable: refusing to overwrite a fixed disk")
    assert fake.untouched()


def test_refuses_a_disk_without_removable_flag(fake):
    (fake.blk / "removable").unlink()
    refused(fake.run(), "is not removable")


def test_refuses_a_partition(fake):
    part = fake.tmp / "dev" / "sdz1"
    part.write_bytes(b"\0" * 4096)
    refused(fake.run(dev=part), "is a partition: give the whole disk, /dev/sdz")
    assert part.read_bytes() == b"\0" * 4096


def test_refuses_an_unknown_disk(fake):
    other = fake.tmp / "dev" / "sdq"
    other.write_bytes(b"x")
    refused(fake.run(dev=other), "is not a whole disk")


def test_refuses_a_mounted_partition_naming_the_mount_point(fake):
    with fake.mounts.open("a") as f:
        f.write("/dev/sdz1 /media/me/MY\\040STICK vfat rw 0 0\n")
    r = fake.run()
    refused(r, "is mounted: /dev/sdz1 on /media/me/MY STICK")
    assert fake.untouched()


def test_refuses_a_mounted_whole_disk(fake):
    with fake.mounts.open("a") as f:
        f.write("/dev/sdz /mnt vfat rw 0 0\n")
    refused(fake.run(), "is mounted: /dev/sdz on /mnt")


def test_refuses_a_partition_mounted_under_another_name(fake):
    with fake.mountinfo.open("a") as f:
        f.write("30 21 8:241 / /boot/efi rw - vfat /dev/root rw\n")
    refused(fake.run(), "is mounted: /dev/sdz1 on /boot/efi")


def test_refuses_swap(fake):
    with fake.swaps.open("a") as f:
        f.write("/dev/sdz1\tpartition\t1024\t0\t-2\n")
    refused(fake.run(), "/dev/sdz1 is swap space")


def test_refuses_a_held_partition(fake):
    (fake.blk / "sdz1" / "holders" / "dm-0").mkdir()
    refused(fake.run(), "/dev/sdz1 is held by dm-0")


def test_refuses_read_only(fake):
    fake.set("ro", "1")
    refused(fake.run(), "is read-only")


def test_refuses_no_medium_and_too_small(fake):
    fake.set("size", "0")
    refused(fake.run(), "has no medium")
    fake.set("size", "2048")  # 1 MiB, smaller than the image
    refused(fake.run(), "is too small")
    assert fake.untouched()


def test_refuses_without_a_terminal_even_if_yes_is_piped(fake):
    for r in (fake.run(), fake.run(input="YES\n")):
        refused(r, "stdin is not a TTY")
        assert "ACME Stick 3000" in r.stdout and "removable" in r.stdout
    assert fake.untouched()


@pytest.mark.parametrize("answer", ["", "no", "yes", "YES please"])
def test_refuses_without_confirmation(fake, answer):
    child = spawn(fake)
    child.expect(f"Type YES to erase {fake.dev}: ")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "not confirmed: nothing written" in child.before
    assert fake.untouched()


def test_writes_the_image_after_yes(fake):
    child = spawn(fake)
    child.expect(r"ACME Stick 3000, 0\.0 GB \(4194304 bytes\), removable")
    child.expect("partitions: sdz1")
    child.expect(f"Type YES to erase {fake.dev}: ")
    child.sendline("YES")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "usb: done" in child.before
    got = fake.dev.read_bytes()
    assert len(got) == len(fake.old)  # a device does not shrink: no truncation
    assert got[:len(fake.data)] == fake.data
    assert got[len(fake.data):] == fake.old[len(fake.data):]


def real_fixed_disk():
    for d in sorted(Path("/sys/block").iterdir()):
        try:
            if (d / "removable").read_text().strip() == "0" and Path("/dev", d.name).is_block_device():
                return d.name
        except OSError:
            pass
    return None


def test_test_overrides_do_not_apply_to_real_block_devices(fake):
    """A fake sysfs saying "removable" must not unlock a real fixed disk.
    (stdin is not a TTY either, so nothing could be written anyway.)"""
    name = real_fixed_disk()
    if name is None:
        pytest.skip("no fixed block device on this machine")
    blk = fake.sys / "block" / name
    blk.mkdir()
    (blk / "removable").write_text("1\n")
    (blk / "size").write_text("8192\n")
    refused(fake.run(dev=f"/dev/{name}"), f"/dev/{name} is not removable")
