"""build/disk.img (tools/mkdisk): a valid GPT disk with one FAT32 EFI system
partition holding esp/, that OVMF boots as a plain disk and as a USB stick."""
import shutil
import struct
import subprocess
import uuid
import zlib
from pathlib import Path

import pytest

from qemu import BUILD, EXIT_SUCCESS, NONINTERACTIVE, ROOT, boot

DISK = BUILD / "disk.img"
SECTOR = 512
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")


@pytest.fixture(scope="module")
def disk():
    if not DISK.exists():
        pytest.fail("build/disk.img is missing: run the tests with `make test`")
    return DISK.read_bytes()


def sector(data, lba, count=1):
    return data[lba * SECTOR:(lba + count) * SECTOR]


def gpt_header(data, lba):
    """The GPT header at `lba`, checked, as a dict; and its partition entries."""
    h = sector(data, lba)
    assert h[:8] == b"EFI PART", f"no GPT header signature at LBA {lba}"
    (rev, size, crc, _, my, alt, first, last, guid, entries_lba, count, entry_size,
     entries_crc) = struct.unpack_from("<IIIIQQQQ16sQIII", h, 8)
    assert rev == 0x00010000 and size == 92
    assert zlib.crc32(h[:16] + b"\0\0\0\0" + h[20:size]) == crc, f"bad header CRC at LBA {lba}"
    assert my == lba
    assert entry_size == 128 and count * entry_size >= 16384
    raw = data[entries_lba * SECTOR:entries_lba * SECTOR + count * entry_size]
    assert zlib.crc32(raw) == entries_crc, f"bad partition-array CRC (header at LBA {lba})"
    entries = [raw[i:i + entry_size] for i in range(0, len(raw), entry_size)]
    return dict(alt=alt, first=first, last=last, guid=guid, entries_lba=entries_lba), entries


def partitions(entries):
    out = []
    for e in entries:
        if e[:16] == bytes(16):
            continue
        type_guid = uuid.UUID(bytes_le=e[:16])
        first, last, attrs = struct.unpack_from("<QQQ", e, 32)
        name = e[56:128].decode("utf-16-le").rstrip("\0")
        out.append(dict(type=type_guid, uuid=uuid.UUID(bytes_le=e[16:32]), first=first,
                        last=last, attrs=attrs, name=name))
    return out


def test_protective_mbr(disk):
    mbr = sector(disk, 0)
    assert mbr[510:512] == b"\x55\xaa"
    status, ptype, start, size = mbr[446], mbr[450], *struct.unpack_from("<II", mbr, 454)
    assert (status, ptype, start) == (0, 0xEE, 1)
    assert size == min(len(disk) // SECTOR - 1, 0xFFFFFFFF)
    assert mbr[462:510] == bytes(48), "only one MBR entry"


def test_gpt_headers_crcs_and_one_esp(disk):
    last_lba = len(disk) // SECTOR - 1
    primary, entries = gpt_header(disk, 1)
    backup, backup_entries = gpt_header(disk, last_lba)
    assert primary["alt"] == last_lba and backup["alt"] == 1
    assert primary["entries_lba"] == 2 and backup["entries_lba"] > primary["last"]
    assert primary["guid"] == backup["guid"] and entries == backup_entries
    parts = partitions(entries)
    assert len(parts) == 1, parts
    p = parts[0]
    assert p["type"] == ESP_TYPE
    assert p["name"] == "EFI system partition"
    assert p["first"] == 2048 and p["first"] * SECTOR % (1 << 20) == 0  # 1 MiB aligned
    assert primary["first"] <= p["first"] <= p["last"] <= primary["last"]
    assert (p["last"] - p["first"] + 1) * SECTOR >= 40 << 20


def test_sgdisk_verifies_it(disk):
    if not shutil.which("sgdisk"):
        pytest.skip("sgdisk missing (Debian package gdisk)")
    r = subprocess.run(["sgdisk", "--verify", str(DISK)], capture_output=True, text=True)
    assert "No problems found" in r.stdout, r.stdout + r.stderr


def esp_offset(disk):
    _, entries = gpt_header(disk, 1)
    return partitions(entries)[0]["first"] * SECTOR


def test_partition_is_fat32_with_the_esp_tree(disk, tmp_path):
    off = esp_offset(disk)
    boot_sector = disk[off:off + SECTOR]
    assert boot_sector[82:90] == b"FAT32   " and boot_sector[510:512] == b"\x55\xaa"
    hidden, = struct.unpack_from("<I", boot_sector, 28)
    assert hidden == off // SECTOR, "BPB hidden sectors is not the partition's start"
    for path in ("EFI/BOOT/BOOTX64.EFI", "boot/kernel.elf", "boot/ramdisk.img"):
        out = tmp_path / Path(path).name
        subprocess.run(["mcopy", "-n", "-i", f"{DISK}@@{off}", "::/" + path, str(out)], check=True)
        assert out.read_bytes() == (ROOT / "esp" / path).read_bytes(), path


def disk_copy(tmp_path, disk):
    """A writable copy of build/disk.img whose ESP has the test command line."""
    img = tmp_path / "disk.img"
    shutil.copy(DISK, img)
    cmdline = tmp_path / "cmdline.txt"
    cmdline.write_text(NONINTERACTIVE)
    subprocess.run(["mcopy", "-o", "-i", f"{img}@@{esp_offset(disk)}", str(cmdline),
                    "::/boot/cmdline.txt"], check=True)
    return img


def test_boots_as_a_plain_disk(disk, tmp_path):
    b = boot(tmp_path, img=disk_copy(tmp_path, disk))
    assert b.exitstatus == EXIT_SUCCESS, b.log[-3000:]
    assert "init: pid 1 starting" in b.log


def test_boots_as_a_usb_stick(disk, tmp_path):
    """The same image as a USB mass-storage device on xHCI, next to an empty disk."""
    blank = tmp_path / "blank.img"
    blank.write_bytes(bytes(1 << 20))
    stick = disk_copy(tmp_path, disk)
    b = boot(tmp_path, img=blank, extra=(
        "-device", "qemu-xhci,id=xhci",
        "-drive", f"if=none,id=stick,format=raw,file={stick}",
        "-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"))
    assert b.exitstatus == EXIT_SUCCESS, b.log[-3000:]
    assert "init: pid 1 starting" in b.log
