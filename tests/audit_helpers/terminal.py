"""Running a command on a real pseudo-terminal of a given size, and a small
screen model to see what a person would see.

:func:`run_on_pty` starts the command as the session leader of a new
pseudo-terminal (its controlling terminal, so Ctrl-C written to it is a real
SIGINT) sized with ``TIOCSWINSZ``, and collects everything it writes.
:class:`Screen` replays that output the way a VT100-style terminal does for
the few controls the live view uses (CR, LF, ``CSI n F``, ``CSI J``,
``CSI H``, SGR colours, cursor visibility), counting the lines that would
wrap and the times the screen would scroll.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence

__all__ = ["Screen", "run_on_pty"]

# Make the pty (inherited as fd argv[1]) the controlling terminal of a new
# session, then exec: Popen starts it safely from a threaded test process.
# Ctrl-C is restored to its default first, as a login shell has it: a suite
# started in the background by a non-interactive shell inherits SIGINT
# ignored, and Python then never turns it into KeyboardInterrupt.
_LAUNCHER = """
import fcntl, os, signal, sys, termios
signal.signal(signal.SIGINT, signal.SIG_DFL)
fd = int(sys.argv[1])
os.setsid()
fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
for target in (0, 1, 2):
    os.dup2(fd, target)
os.close(fd)
os.execv(sys.argv[2], sys.argv[2:])
"""


def run_on_pty(
    argv: Sequence[str],
    *,
    rows: int = 24,
    columns: int = 80,
    timeout: float = 120.0,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    on_output: Callable[[bytes, Callable[[bytes], None]], None] | None = None,
) -> tuple[int, bytes]:
    """Run ``argv`` on a ``rows`` x ``columns`` pseudo-terminal; returns its
    exit status and all it wrote. ``on_output(so_far, type_keys)`` is called
    after each read and may type keys into the terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(slave), *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(slave,),
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout

    def type_keys(keys: bytes) -> None:
        os.write(master, keys)

    try:
        while time.monotonic() < deadline:
            exited = proc.poll() is not None
            ready, _, _ = select.select([master], [], [], 0 if exited else 0.5)
            if not ready:
                if exited:
                    break  # gone, and everything it wrote has been read
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed its side
                break
            if not chunk:
                break
            output += chunk
            if on_output is not None:
                on_output(bytes(output), type_keys)
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return status, bytes(output)


_CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b\r\n]")


class Screen:
    """A ``rows`` x ``columns`` screen that output is replayed on.

    Attributes:
        wraps: characters that had to go to the next line (a line longer than
            the screen is wide).
        scrolls: times the whole screen moved up a line.
    """

    def __init__(self, rows: int = 24, columns: int = 80) -> None:
        self.rows = rows
        self.columns = columns
        self.lines = [[" "] * columns for _ in range(rows)]
        self.row = 0
        self.col = 0
        self.wraps = 0
        self.scrolls = 0

    def feed(self, text: str) -> None:
        for match in _CONTROL.finditer(text):
            token = match.group()
            if token == "\r":
                self.col = 0
            elif token == "\n":
                self._line_feed()
            elif match.group(2) is not None:
                self._control(match.group(1), match.group(2))
            else:
                self._put(token)

    def text(self) -> list[str]:
        """The screen's lines, trailing blanks removed."""
        return ["".join(line).rstrip() for line in self.lines]

    def _put(self, char: str) -> None:
        if self.col >= self.columns:
            self.wraps += 1
            self.col = 0
            self._line_feed()
        self.lines[self.row][self.col] = char
        self.col += 1

    def _line_feed(self) -> None:
        if self.row == self.rows - 1:
            self.lines.pop(0)
            self.lines.append([" "] * self.columns)
            self.scrolls += 1
        else:
            self.row += 1

    def _control(self, params: str, final: str) -> None:
        numbers = [int(p) for p in params.split(";") if p.isdigit()]
        if final == "F":
            self.row = max(0, self.row - (numbers[0] if numbers else 1))
            self.col = 0
        elif final == "H":
            self.row = (numbers[0] - 1) if numbers else 0
            self.col = (numbers[1] - 1) if len(numbers) > 1 else 0
        elif final == "J":
            mode = numbers[0] if numbers else 0
            if mode == 2:
                self.lines = [[" "] * self.columns for _ in range(self.rows)]
            else:
                self.lines[self.row][self.col :] = [" "] * (self.columns - self.col)
                for row in range(self.row + 1, self.rows):
                    self.lines[row] = [" "] * self.columns
        elif final == "K":
            self.lines[self.row][self.col :] = [" "] * (self.columns - self.col)
        # "m" (colours) and "h"/"l" (cursor visibility) change nothing on screen.
