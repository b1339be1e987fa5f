"""Every Python block in README.md runs as a user would paste it, and exits 0.

A block that says what it is "given" gets that from a prelude here, and only that.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)

# What a block names as given but does not define.
PRELUDES = {
    "given Database and Worker GenServers": (
        "import actors\n"
        "class Database(actors.GenServer):\n"
        "    def init(self, url): self.url = url\n"
        "class Worker(actors.GenServer):\n"
        "    def init(self, n): self.n = n\n"
    ),
    # The audit block reads the log a run left behind: leave one.
    "AuditLog.open": (
        "import actors\nfrom actors import gater\n"
        "with actors.ActorSystem() as system:\n    gater.start(system)\n"
    ),
    "SECRET": "import actors\nfrom actors import messages\nSECRET = b'k' * 64\n",
}


def _prelude(block: str) -> str:
    return "".join(code for marker, code in PRELUDES.items() if marker in block)


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_readme_block_runs(block: str, tmp_path: Path) -> None:
    script = _prelude(block) + block
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )

    assert 0 == result.returncode, result.stderr
