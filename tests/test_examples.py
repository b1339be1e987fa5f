"""Every example runs as a user would run it and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_exits_0(example: Path) -> None:
    result = _run(str(example))

    assert 0 == result.returncode, result.stderr
    assert result.stdout.strip(), "an example should show what it does"


def test_examples_exist() -> None:
    assert {"counter", "linked_workers", "monitor"} <= {p.stem for p in EXAMPLES}
