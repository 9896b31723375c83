"""A small client for QEMU's machine protocol (QMP) over a Unix socket.

A test adds qmp_args(path) to QEMU's arguments, then talks to the running
machine:

    q = QMP.connect(path)            # waits for QEMU to create the socket
    q.cmd("pmemsave", val=base, size=n, filename=str(out))
    q.cmd("screendump", filename=str(ppm))
    q.close()

cmd() returns the command's "return" value and raises QMPError with QEMU's
own message when the command fails. Asynchronous events that arrive in
between are kept in .events.
"""
import json
import socket
import time


class QMPError(Exception):
    pass


def qmp_args(path):
    """QEMU arguments for a QMP server at `path` that QEMU does not wait on."""
    return ["-qmp", f"unix:{path},server=on,wait=off"]


class QMP:
    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("r", encoding="utf-8")
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"not a QMP greeting: {greeting}")
        self.cmd("qmp_capabilities")

    @classmethod
    def connect(cls, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(str(path))
                s.settimeout(timeout)
                return cls(s)
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"no QMP socket at {path} after {timeout} s")
                time.sleep(0.1)

    def _read(self):
        line = self.file.readline()
        if not line:
            raise QMPError("QEMU closed the QMP connection")
        return json.loads(line)

    def cmd(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            elif "return" in reply:
                return reply["return"]

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()
