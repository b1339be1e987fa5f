"""The actors command line, run as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "actors", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def demo_log(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    path = tmp_path_factory.mktemp("cli") / "audit.db"
    return path, _run("demo", "--duration", "3", "--audit", str(path))


def test_demo_runs_shows_a_summary_and_exits_0(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, result = demo_log

    assert 0 == result.returncode, result.stderr
    assert "Summary after" in result.stdout
    for instance in ("ex_esdb_health", "ex_esdb_lifecycle", "ex_esdb_security"):
        assert instance in result.stdout
    assert "crashed" in result.stdout
    assert "max_restarts_reached" in result.stdout  # the worker's supervisor gave up once
    assert "\x1b[" not in result.stdout  # piped: plain text, no colour, no live view
    assert path.exists()


def test_audit_json_lines_parse_and_filter(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    result = _run("audit", str(path), "--type", "crashed", "--json")

    assert 0 == result.returncode, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events
    assert {"crashed"} == {e["event_type"] for e in events}
    names = {e["name"] for e in events}
    assert "flaky" in names
    assert {"flaky", "packer-2"} >= names  # packer-2: the store demo's crashing consumer


def test_audit_table_and_summary(demo_log: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    path, _ = demo_log

    table = _run("audit", str(path), "--name", "flaky", "--limit", "5")
    summary = _run("audit", str(path), "--summary")

    assert 0 == table.returncode
    assert table.stdout.splitlines()[0].split()[:3] == ["time", "(UTC)", "event"]
    assert 0 == summary.returncode
    assert "restarts" in summary.stdout
    assert "top crash reasons" in summary.stdout
    summary_json = json.loads(_run("audit", str(path), "--summary", "--json").stdout)
    assert summary_json["restart_counts"]["flaky"] >= 1


def test_a_missing_audit_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = _run("audit", str(tmp_path / "missing.db"))

    assert 1 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines())
    assert "run `actors demo`" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_audit_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)

    result = _run("audit", str(bad))

    assert 1 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["demo", "--duration", "soon"],
        ["demo", "--duration", "0"],
        ["audit", "--since", "5x"],
        ["audit", "--limit", "-3"],
        ["tree", "--after", "later"],
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str]) -> None:
    result = _run(*args)

    assert 2 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert result.stderr.startswith("actors")


def test_tree_prints_the_demo_tree_with_states() -> None:
    result = _run("tree")

    assert 0 == result.returncode, result.stderr
    assert "Supervisor (demo) [supervisor: running]" in result.stdout
    assert "ex_esdb_lifecycle [worker: running]" in result.stdout
    assert "flaky [worker: running]" in result.stdout


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("actors")

    result = subprocess.run([str(script), "tree"], capture_output=True, text=True, timeout=120)

    assert 0 == result.returncode, result.stderr
