"""The actors command line, run as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import actors
from actors.cli._demo import clip, fit_frame, visible_len
from tests.audit_helpers.terminal import Screen, run_on_pty

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


def test_audit_json_lines_carry_seq_and_run_id(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    result = _run("audit", str(path), "--json", "--limit", "3")

    events = [json.loads(line) for line in result.stdout.splitlines()]
    runs = [
        json.loads(line)
        for line in _run("audit", str(path), "--runs", "--json").stdout.splitlines()
    ]
    assert 3 == len(events)
    assert {runs[0]["run_id"]} == {e["run_id"] for e in events}
    assert sorted(e["seq"] for e in events) == [e["seq"] for e in events]


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


# Bad input: one line, the right status, never a traceback -------------------------------


def _one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert status == result.returncode, result.stderr
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "--type", "exploded"],
        ["audit", "--type", ""],
        ["audit", "--since", "99999999999d"],
        ["audit", "--summary", "--runs"],
    ],
)
def test_more_bad_arguments_are_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    stderr = _one_line(_run(*args, str(tmp_path / "x.db")), 2)

    assert stderr.startswith("actors")


def test_event_types_are_case_insensitive_and_may_be_several(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    mixed = _run("audit", str(path), "--type", "Crashed,RESTARTED", "--json")

    assert 0 == mixed.returncode, mixed.stderr
    assert {"crashed", "restarted"} == {
        json.loads(x)["event_type"] for x in mixed.stdout.split("\n") if x
    }


def test_a_since_before_the_epoch_means_everything(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    everything = _run("audit", str(path), "--since", "999999999d", "--json")
    plain = _run("audit", str(path), "--json")

    assert (0, plain.stdout) == (everything.returncode, everything.stdout)


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: tmp / "missing" / "audit.db", "does not exist"),
        (
            lambda tmp: (tmp / "bad.db", (tmp / "bad.db").write_bytes(b"junk" * 1000))[0],
            "not a database",
        ),
        (lambda tmp: _foreign(tmp / "app.db"), "not an audit log"),
    ],
    ids=["directory", "missing-parent", "corrupt", "foreign"],
)
def test_a_demo_audit_path_it_cannot_use_is_one_line_and_exit_1(
    tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    target = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())

    stderr = _one_line(_run("demo", "--duration", "1", "--audit", str(target)), 1)

    assert says in stderr
    assert before == sorted(p.name for p in tmp_path.iterdir())  # nothing moved or created


# Filters that match what the table shows ------------------------------------------------


SAMPLE_NAMES = {"demo", "ex_esdb_gater", "flaky", "workers", "consumers", "ex_esdb_audit"}


def test_every_name_the_table_shows_filters_to_its_own_rows(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log
    lines = _run("audit", str(path)).stdout.splitlines()[2:-2]
    shown = {line.split()[3] for line in lines if len(line.split()) > 3}

    counts = {
        who: len(_run("audit", str(path), "--name", who, "--json").stdout.splitlines())
        # A sample of what the table shows, and "gater", ex_esdb_gater's child id.
        for who in [*sorted(shown & SAMPLE_NAMES), "gater"]
    }

    assert {"demo", "ex_esdb_gater", "flaky", "workers"} <= shown
    assert all(n > 0 for n in counts.values()), counts
    assert len(counts) == 1 + len(SAMPLE_NAMES)


def test_supervisor_matches_the_name_or_the_child_id_shown(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    by_child_id = _run("audit", str(path), "--supervisor", "gater", "--json")
    by_name = _run("audit", str(path), "--supervisor", "ex_esdb_gater", "--json")

    events = [json.loads(line) for line in by_child_id.stdout.splitlines()]
    assert events
    assert by_name.stdout == by_child_id.stdout
    assert {"ex_esdb_gater"} == {e["supervisor"] for e in events}


def test_the_summary_honours_name_type_and_since(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    flaky = json.loads(
        _run(
            "audit", str(path), "--summary", "--json", "--name", "flaky", "--type", "crashed"
        ).stdout
    )
    none = json.loads(_run("audit", str(path), "--summary", "--json", "--since", "1ms").stdout)

    assert ["crashed"] == list(flaky["event_counts"])
    assert {} == flaky["restart_counts"]
    assert flaky["crash_reasons"]
    assert ({}, {}, []) == (none["event_counts"], none["restart_counts"], none["crash_reasons"])


# Reading changes nothing --------------------------------------------------------------------


def test_reading_leaves_no_wal_or_shm_files_beside_the_log(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    path, _ = demo_log

    for args in ([], ["--summary"], ["--runs"], ["--json"]):
        assert 0 == _run("audit", str(path), *args).returncode

    assert [path.name] == sorted(
        p.name for p in path.parent.iterdir() if p.name.startswith(path.name)
    )


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on a file system mounted read-only (a CD, a read-only volume)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only file system needs root")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_log_on_a_read_only_medium_can_be_read(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]], read_only_dir: Path
) -> None:
    path, _ = demo_log
    copy = read_only_dir / "audit.db"
    copy.write_bytes(path.read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_dir)], check=True)

    table = _run("audit", str(copy), "--name", "flaky")
    summary = _run("audit", str(copy), "--summary")

    assert (0, 0) == (table.returncode, summary.returncode), table.stderr + summary.stderr
    assert "flaky" in table.stdout
    assert "top crash reasons" in summary.stdout


# Version, runs and the closing hint --------------------------------------------------------


def test_version_is_the_packages() -> None:
    result = _run("--version")

    assert (0, f"actors {actors.__version__}\n") == (result.returncode, result.stdout)
    assert actors.__version__ not in ("", "0+unknown")


def test_the_closing_hint_works_without_an_activated_venv(
    demo_log: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = demo_log
    (hint,) = [line for line in result.stdout.splitlines() if line.startswith("next: ")]
    command = shlex.split(hint.removeprefix("next: "))

    again = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"}
    )

    assert Path(command[0]).is_absolute()
    assert "--run" in command
    assert 0 == again.returncode, again.stderr
    assert "top crash reasons" in again.stdout


def test_runs_that_share_a_file_are_listed_and_filtered(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    for _ in range(2):
        assert 0 == _run("demo", "--duration", "1", "--audit", str(path)).returncode

    runs = [json.loads(x) for x in _run("audit", str(path), "--runs", "--json").stdout.splitlines()]
    first = _run("audit", str(path), "--run", runs[0]["run_id"], "--json")
    last = _run("audit", str(path), "--run", "last", "--json")
    table = _run("audit", str(path), "--limit", "5")
    unknown = _run("audit", str(path), "--run", "nosuchrun")

    assert 2 == len(runs)
    assert all(r["closed_at"] is not None for r in runs)
    assert {runs[0]["run_id"]} == {json.loads(x)["run_id"] for x in first.stdout.splitlines()}
    assert {runs[1]["run_id"]} == {json.loads(x)["run_id"] for x in last.stdout.splitlines()}
    assert "run" == table.stdout.splitlines()[0].split()[2]  # a run column when runs differ
    _one_line(unknown, 1)


# The live view --------------------------------------------------------------------------------


def test_the_live_view_fits_an_80_by_24_terminal_and_redraws_in_place(tmp_path: Path) -> None:
    status, raw = run_on_pty(
        [
            sys.executable,
            "-m",
            "actors",
            "demo",
            "--duration",
            "3",
            "--audit",
            str(tmp_path / "a.db"),
        ],
        cwd=str(ROOT),
    )
    text = raw.decode("utf-8", "replace")
    live, _, summary = text.partition("\x1b[?25h")  # the view ends: the cursor is back
    screen = Screen(24, 80)
    screen.feed(live)
    shown = screen.text()

    assert 0 == status, text[-2000:]
    assert (0, 0) == (screen.wraps, screen.scrolls)
    assert live.count("\x1b[J") >= 5  # frames redrawn over the previous one
    assert shown[0].startswith("actors demo")
    assert 1 == sum("actors demo" in line for line in shown)
    assert "ex_esdb_lifecycle" in live
    assert "Summary after" in summary
    assert "audit log:" in summary


def test_ctrl_c_stops_the_demo_with_its_summary(tmp_path: Path) -> None:
    typed: list[bytes] = []

    def interrupt(so_far: bytes, type_keys: Callable[[bytes], None]) -> None:
        if not typed and b"consumers" in so_far:
            typed.append(b"\x03")
            type_keys(b"\x03")

    status, raw = run_on_pty(
        [
            sys.executable,
            "-m",
            "actors",
            "demo",
            "--duration",
            "60",
            "--audit",
            str(tmp_path / "a.db"),
        ],
        cwd=str(ROOT),
        on_output=interrupt,
    )
    text = raw.decode("utf-8", "replace")

    assert (130, [b"\x03"]) == (status, typed)
    assert "Summary after" in text
    assert "next: " in text
    assert "Traceback" not in text


def test_clip_keeps_colours_whole_and_counts_only_visible_columns() -> None:
    red = "\x1b[31mcrashed\x1b[0m"

    assert red == clip(red, 7)
    assert "\x1b[31mcra\x1b[0m…" == clip(red, 4)
    assert 10 == visible_len(clip(red + " flaky (workers) long reason", 10))


@pytest.mark.parametrize("height", [5, 10, 16, 23, 40])
def test_a_frame_never_has_more_lines_than_the_terminal(height: int) -> None:
    lines = fit_frame(
        height,
        head="head",
        headers=["instance", "msg/s"],
        rows=[(f"i{n}", n) for n in range(10)],
        lifecycle="lifecycle",
        latest=[f"event {n}" for n in range(6)],
        consumers_title="consumers",
        consumers=[f"c{n}" for n in range(4)],
    )

    assert len(lines) <= height
    assert "head" == lines[0]
    assert "lifecycle" in lines


def test_a_demo_audit_path_on_a_read_only_medium_is_one_line_and_exit_1(
    read_only_dir: Path,
) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_dir)], check=True)

    stderr = _one_line(_run("demo", "--duration", "1", "--audit", str(read_only_dir / "a.db")), 1)

    assert "cannot open audit log" in stderr
