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
    assert {
        "counter",
        "linked_workers",
        "monitor",
        "secure_messages",
        "health_and_metrics",
    } <= {p.stem for p in EXAMPLES}


def test_secure_messages_shows_every_verdict_and_the_counted_forgeries() -> None:
    result = _run(str(ROOT / "examples" / "secure_messages.py"))

    assert 0 == result.returncode, result.stderr
    verdicts = {line.split()[-1] for line in result.stdout.splitlines() if " error " in line}
    assert {
        "replayed",
        "invalid_signature",
        "invalid_format",
        "unsecured_message_rejected",
        "no_secret_configured",
        "expired",
    } == verdicts
    assert "statistics: forged=2" in result.stdout


def test_examples_and_the_readme_let_the_current_system_resolve() -> None:
    """Inside ``with ActorSystem()`` the block's system is current: passing it
    by hand again is noise the examples should not teach."""
    texts = {p.name: p.read_text() for p in EXAMPLES} | {
        "README.md": (ROOT / "README.md").read_text()
    }

    assert [] == [name for name, text in texts.items() if "system=system" in text]
