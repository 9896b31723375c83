"""An interactive busybox shell on the serial console, typed into with pexpect."""
import re
import shutil

import pexpect

from qemu import ANSI, EXIT_SUCCESS, OVMF_CODE, OVMF_VARS, image

PROMPT = r"/ # "


def spawn(tmp_path):
    img = image(tmp_path, cmdline="")  # the default: init keeps a shell on the console
    vars_copy = tmp_path / "vars.fd"
    shutil.copy(OVMF_VARS, vars_copy)
    args = ["-machine", "q35", "-m", "512M", "-nic", "none", "-display", "none", "-no-reboot",
            "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
            "-monitor", "none",  # signal=off: a typed ^C goes to the guest, not to QEMU
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", f"format=raw,file={img}",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return pexpect.spawn("qemu-system-x86_64", args, encoding="latin-1", timeout=60)


def test_interactive_busybox_shell(tmp_path):
    sh = spawn(tmp_path)
    try:
        sh.expect(PROMPT, timeout=90)
        sh.sendline("echo hello from the $((6 * 7)) shell")
        sh.expect("hello from the 42 shell")
        sh.expect(PROMPT)
        sh.sendline("echo a b c | wc -w")
        sh.expect(r"wc -w\s+3\s")
        sh.expect(PROMPT)
        sh.sendline("sleep 100")
        sh.send("\x03")  # ^C: SIGINT to the foreground job
        sh.expect(PROMPT, timeout=20)
        sh.sendline("exit")  # init starts another shell
        sh.expect("the shell exited")
        sh.expect(PROMPT, timeout=30)
        sh.sendline("poweroff")
        sh.expect(pexpect.EOF, timeout=60)
    except (pexpect.TIMEOUT, pexpect.EOF):
        raise AssertionError("serial session:\n" + ANSI.sub("", (sh.before or ""))[-3000:])
    sh.close()
    assert sh.exitstatus == EXIT_SUCCESS
