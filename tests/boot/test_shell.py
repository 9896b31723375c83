"""Interactive busybox shells on the serial console, typed into with pexpect.

Each test boots with an empty command line (init keeps a shell on the
console) and types as a person would. The session test ends by dumping the
ramdisk from guest memory over QMP (pmemsave of the `ramdisk` memmap range)
and running `e2fsck -fn` on it: what the shell wrote must leave a clean
filesystem.
"""
import random
import re
import shutil
import subprocess

import pexpect

from qemu import ANSI, EXIT_SUCCESS, OVMF_CODE, OVMF_VARS, image
from qmp import QMP, qmp_args

PROMPT = r"/ # "


class Shell:
    """QEMU with the console on pexpect's terminal and a QMP socket."""

    def __init__(self, tmp_path):
        img = image(tmp_path, cmdline="")  # the default: init keeps a shell on the console
        vars_copy = tmp_path / "vars.fd"
        shutil.copy(OVMF_VARS, vars_copy)
        self.qmp_path = tmp_path / "qmp.sock"
        args = ["-machine", "q35", "-m", "512M", "-nic", "none", "-display", "none",
                "-no-reboot", "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
                "-monitor", "none",  # signal=off: a typed ^C goes to the guest, not to QEMU
                *qmp_args(self.qmp_path),
                "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}",
                "-drive", f"format=raw,file={img}",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        self.child = pexpect.spawn("qemu-system-x86_64", args, encoding="latin-1", timeout=60,
                                   maxread=65536)
        self.log = ""  # everything read so far, escapes and \r removed

    def expect(self, pattern, timeout=60):
        try:
            i = self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.log += ANSI.sub("", self.child.before or "").replace("\r", "")
            self.child.terminate(force=True)
            raise AssertionError(f"waiting for {pattern!r}; serial session:\n" + self.log[-4000:])
        after = self.child.after if isinstance(self.child.after, str) else ""
        self.log += ANSI.sub("", self.child.before + after).replace("\r", "")
        return i

    def run(self, command, timeout=60):
        """Types command, waits for the next prompt, returns what it printed."""
        start = len(self.log)
        self.child.sendline(command)
        self.expect(PROMPT, timeout)
        out = self.log[start:-len(PROMPT)]
        echo = out.find(command + "\n")  # the line as the shell echoed it
        return out[echo + len(command) + 1:] if echo >= 0 else out

    def send(self, text):
        self.child.send(text)

    def poweroff(self):
        self.child.sendline("poweroff")
        self.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus == EXIT_SUCCESS, self.log[-3000:]


def memmap_range(log, cls):
    """(base, end) of the one memmap region of class cls in the boot dump."""
    found = [(int(b, 16), int(e, 16)) for b, e, _, c in
             (l.split()[1:5] for l in log.splitlines()
              if l.startswith("memmap: 0x")) if c == cls]
    assert found, f"no memmap line of class {cls} in the log"
    return found[0]


def test_interactive_busybox_shell(tmp_path):
    sh = Shell(tmp_path)
    sh.expect(PROMPT, timeout=90)
    assert "hello from the 42 shell" in sh.run("echo hello from the $((6 * 7)) shell")
    listing = sh.run("ls -l /")
    for name in ("bin", "dev", "etc", "proc", "sbin", "tmp"):
        assert re.search(rf"^d[rwxstST-]{{9}} .* {name}$", listing, re.M), listing
    assert "Welcome." in sh.run("cat /etc/motd")
    assert sh.run("stty size").split() == ["24", "80"]  # a serial terminal's usual size
    assert re.search(r"^3$", sh.run("echo a b c | wc -w"), re.M)

    # garbage at the console: at busybox's line editor (raw mode), then in
    # the kernel's canonical mode under cat; ^C and ^D get the prompt back
    rng = random.Random(7)
    junk = "".join(chr(rng.choice([b for b in range(1, 256) if b not in (3, 4, 10, 13, 26, 28)]))
                   for _ in range(600))
    sh.send(junk)
    sh.send("\x03")
    sh.expect(PROMPT, timeout=30)
    sh.child.sendline("cat > /dev/null")
    sh.expect(r"cat > /dev/null\r*\n")
    for i in range(0, len(junk), 100):
        sh.send(junk[i:i + 100] + "\n")
    sh.send("\n\x04")  # the first newline may be quoted by a trailing ^V
    sh.expect(PROMPT, timeout=30)
    assert "alive" in sh.run("echo alive")

    # files on the ext2 root: redirection, append, mkdir -p and rm -r
    sh.run("echo first > /tmp/notes; echo second >> /tmp/notes")
    assert sh.run("cat /tmp/notes").split() == ["first", "second"]
    sh.run("mkdir -p /tmp/a/b/c && echo deep > /tmp/a/b/c/f && cp /tmp/notes /tmp/a/")
    assert "deep" in sh.run("cat /tmp/a/b/c/f")
    sh.run("rm -r /tmp/a")
    assert "No such file" in sh.run("ls /tmp/a")

    # processes: ps lists init and this shell
    ps = sh.run("ps")
    assert re.search(r"^\s*1 .*init", ps, re.M), ps
    assert re.search(r"^\s*\d+ .*sh$", ps, re.M), ps

    # ^C interrupts the foreground job; kill ends a background one
    sh.child.sendline("sleep 100")
    sh.expect(r"sleep 100\r*\n")
    sh.send("\x03")
    sh.expect(PROMPT, timeout=20)
    sh.run("sleep 200 &")
    assert "sleep 200" in sh.run("ps")
    sh.run("kill %1")
    out = sh.run("wait; ps")
    assert "Terminated" in out or "Terminated" in sh.run("jobs"), out
    assert not re.search(r"^\s*\d+ .*sleep 200", out, re.M), out

    # CPU time: /proc/stat's user + system + idle ticks account for the uptime
    stat = sh.run("cat /proc/uptime /proc/stat")
    up, idle = stat.split()[:2]
    cpu = [int(x) for x in re.search(r"^cpu +(.*)$", stat, re.M).group(1).split()]
    total, up_ticks = cpu[0] + cpu[2] + cpu[3], float(up) * 100
    assert 0.5 * up_ticks <= total <= up_ticks + 50, (up, stat)
    assert float(idle) <= float(up)

    # load average: two busy loops for 11 s (two 5 s samples) lift the
    # 1-minute average to about 2 * (1 - e^(-10/60)) = 0.31
    sh.run("while :; do :; done & while :; do :; done & sleep 11")
    loadavg = sh.run("cat /proc/loadavg").split()
    sh.run("kill %1 %2; wait")
    assert float(loadavg[0]) >= 0.2, loadavg
    running, threads = map(int, loadavg[3].split("/"))
    assert running >= 3 and threads >= running, loadavg  # the loops and cat
    assert "load average:" in sh.run("uptime")

    # dmesg reads the kernel log ring
    kmsg = sh.run("dmesg")
    assert re.search(r"^\[\s*\d+\.\d{6}\] \w+: ", kmsg, re.M), kmsg[-2000:]
    assert "ext2" in kmsg
    sh.run("dmesg -c > /dev/null")
    assert "ext2" not in sh.run("dmesg")

    # exit: init starts another shell
    sh.child.sendline("exit")
    sh.expect("the shell exited")
    sh.expect(PROMPT, timeout=30)

    # what the session wrote leaves a clean filesystem in guest memory
    sh.run("echo kept > /kept; mkdir /d; for i in 1 2 3 4 5; do echo $i > /d/f$i; done; "
           "rm /d/f3; mv /d/f5 /d/g; ln /d/g /h; sync")
    base, end = memmap_range(sh.log, "ramdisk")
    dump = tmp_path / "ramdisk.dump"
    q = QMP.connect(sh.qmp_path)
    q.cmd("pmemsave", val=base, size=end - base, filename=str(dump))
    q.close()
    r = subprocess.run(["/sbin/e2fsck", "-fn", str(dump)], capture_output=True, text=True)
    assert r.returncode == 0, f"e2fsck -fn of the ramdisk after the session:\n{r.stdout}{r.stderr}"
    ls = subprocess.run(["/sbin/debugfs", "-R", "ls -l /d", str(dump)], capture_output=True,
                        text=True).stdout
    assert " f1" in ls and " g" in ls and " f3" not in ls, ls
    sh.poweroff()


def test_fork_bomb_hits_rlimit_nproc(tmp_path):
    """A fork bomb typed at the root shell: forks fail with EAGAIN at the
    per-user process limit, the kernel says so, and the shell still answers."""
    sh = Shell(tmp_path)
    sh.expect(PROMPT, timeout=90)
    limit = int(sh.run("ulimit -u").split()[-1])
    assert 64 <= limit <= 4096
    sh.run("bomb() { bomb | bomb & }; bomb")
    sh.expect(r"RLIMIT_NPROC", timeout=120)  # the kernel's report on the console
    sh.child.sendline("kill -9 -1")  # everything but init and this shell
    sh.expect(PROMPT, timeout=120)
    sh.child.sendline("echo still here $((1 + 1))")
    sh.expect("still here 2", timeout=120)
    sh.expect(PROMPT, timeout=120)
    # the bomb may have been between forks: kill what is left, then count
    sh.run("kill -9 -1; sleep 1", timeout=120)
    n = int(sh.run("ps | wc -l", timeout=120).split()[-1])
    assert n < 10, sh.run("ps")
    assert "EAGAIN" in sh.log
    sh.poweroff()
