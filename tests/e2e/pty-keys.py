#!/usr/bin/env python3
"""Type keys into a full-screen terminal program, as a person would.

usage: pty-keys.py KEY... -- COMMAND [ARG...]

Runs COMMAND in a pseudo terminal of 40x120 and types each KEY (Python
escapes allowed: '\\r', '\\x1b') once the screen has been quiet for a
moment. Exits with COMMAND's exit status. With SHOW=1 the last screen
output goes to stderr."""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

split = sys.argv.index("--")
keys = [k.encode().decode("unicode_escape").encode("latin1") for k in sys.argv[1:split]]
cmd = sys.argv[split + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.environ["LINES"] = "40"
    os.environ["COLUMNS"] = "120"
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
out = b""


def settle(quiet=1.5, limit=600):
    """Read until the screen was quiet for QUIET seconds; False at EOF."""
    global out
    end = time.time() + limit
    last = time.time()
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            out += data
            last = time.time()
        elif time.time() - last > quiet:
            return True
    return True


settle(3)
for key in keys:
    os.write(fd, key)
    if not settle():
        break
settle(2, 60)
_, status = os.waitpid(pid, 0)
if os.environ.get("SHOW"):
    sys.stderr.write(out[-3000:].decode("latin1", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
