"""Bad boot files: the loader names the problem and returns to the firmware."""
import struct

from qemu import BUILD, boot, image

def loader_error(tmp_path, **kw):
    b = boot(tmp_path, image(tmp_path, **kw), until=r"loader: returning to the firmware")
    errors = b.lines("loader: error:")
    assert len(errors) == 1, b.log[-3000:]
    assert "kernel: " not in b.log, "the kernel must never run after a loader error"
    return errors[0]


def test_garbage_kernel(tmp_path):
    err = loader_error(tmp_path, put={"boot/kernel.elf": b"this is not an ELF file" * 100})
    assert err == "loader: error: boot/kernel.elf: not an ELF file (bad magic)", err


def test_truncated_kernel(tmp_path):
    elf = (BUILD / "kernel.elf").read_bytes()
    err = loader_error(tmp_path, put={"boot/kernel.elf": elf[:40]})
    assert err.startswith("loader: error: boot/kernel.elf:") and "shorter than an ELF64 header" in err, err


def test_kernel_for_another_machine(tmp_path):
    elf = bytearray((BUILD / "kernel.elf").read_bytes())
    struct.pack_into("<H", elf, 18, 183)  # e_machine = EM_AARCH64
    err = loader_error(tmp_path, put={"boot/kernel.elf": bytes(elf)})
    assert err.startswith("loader: error: boot/kernel.elf:") and "not an x86_64 file" in err, err


def test_kernel_segment_with_filesz_beyond_memsz(tmp_path):
    elf = bytearray((BUILD / "kernel.elf").read_bytes())
    phoff = struct.unpack_from("<Q", elf, 32)[0]
    # first program header: p_filesz at +32, p_memsz at +40
    memsz = struct.unpack_from("<Q", elf, phoff + 40)[0]
    struct.pack_into("<Q", elf, phoff + 32, memsz + 4096)
    err = loader_error(tmp_path, put={"boot/kernel.elf": bytes(elf)})
    assert err == "loader: error: boot/kernel.elf: program header 0: p_filesz > p_memsz", err


def test_missing_kernel(tmp_path):
    err = loader_error(tmp_path, delete=["boot/kernel.elf"])
    assert err == "loader: error: boot/kernel.elf: not found on the boot volume"


def test_missing_ramdisk(tmp_path):
    err = loader_error(tmp_path, delete=["boot/ramdisk.img"])
    assert err == "loader: error: boot/ramdisk.img: not found on the boot volume"


def test_cmdline_with_binary_bytes(tmp_path):
    err = loader_error(tmp_path, cmdline=b"ktest=all\x00\x01\xff")
    assert err.startswith("loader: error: boot/cmdline.txt: byte 9 is not printable ASCII"), err


def test_cmdline_too_long(tmp_path):
    err = loader_error(tmp_path, cmdline="log=" + "x" * 2000)
    assert err.startswith("loader: error: boot/cmdline.txt:"), err
