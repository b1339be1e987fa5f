"""Run the benchmark suite and print JSON lines (one figure per line).

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --quick         # a tenth of the sizes, same figures
    python benchmarks/run.py --only fanout   # names containing "fanout"
    python benchmarks/run.py --no-beam       # skip the Erlang VM baseline

Each figure sits beside its baseline measured in the same run; quote the
``ratio``, not the absolute values: machines are shared and noisy. Baselines:
raw pykka, blinker (the ``bench`` extra: ``pip install -e '.[bench]'``) and
the Erlang VM (``escript``/``erl`` on the PATH; ``benchmarks/erlang/``). A
baseline that is not installed is printed as missing (``"baseline_value":
null, "missing": ...``), never as zero. A summary table of the ratios goes
to stderr at the end.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _beam
from _harness import Record, emit, log

MODULES = [
    "bench_core",
    "bench_fanout",
    "bench_pubsub",
    "bench_memory",
    "bench_supervision",
    "bench_audit",
    "bench_messages",
    "bench_eventstore",
    "bench_postgres",
    "bench_eventbus",
    "bench_aio",
    "bench_cluster",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="run at a tenth of the sizes")
    parser.add_argument(
        "--only", action="append", default=[], help="run benchmarks whose name contains this"
    )
    parser.add_argument("--list", action="store_true", help="list benchmark names and exit")
    parser.add_argument(
        "--beam",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the Erlang VM baseline beside our figures (default: when installed)",
    )
    parser.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print a table of the ratios to stderr at the end",
    )
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    if not args.beam:
        _beam.disable("not measured (--no-beam)")
    records: list[Record] = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, bench in module.BENCHMARKS.items():
            if args.list:
                print(name)
                continue
            if args.only and not any(part in name for part in args.only):
                continue
            log(f"running {name} ...")
            started = time.perf_counter()
            records.extend(emit(bench(scale)))
            log(f"  {name} took {time.perf_counter() - started:.1f}s")
    if args.summary and records:
        log(summary(records))
    return 0


SUFFIX_COLUMNS = {"blinker": "blinker", "beam": "BEAM", "beam_pg": "BEAM pg"}
"""Figures named ``<figure>/<suffix>`` go to the column of their baseline."""
COLUMNS = ("pykka", "blinker", "BEAM", "BEAM pg")


def summary(records: list[Record]) -> str:
    """One row per figure, one column per kind of baseline (the ratio); any
    other baseline is named in the last column."""
    rows: dict[str, dict[str, str]] = {}
    for record in records:
        figure, _, suffix = record.name.partition("/")
        column = SUFFIX_COLUMNS.get(suffix)
        if column is None:
            figure = record.name
            column = "pykka" if "pykka" in (record.baseline or "") else "other"
        cell = "missing" if record.ratio is None else f"{record.ratio:.3g}x"
        if column == "other":
            cell = f"{cell} vs {record.baseline}"
        if record.extra.get("books_balance") is False:
            cell += " (books off)"
        rows.setdefault(figure, {})[column] = cell
    width = max(len(figure) for figure in rows)
    head = f"{'figure':<{width}}  " + "  ".join(f"{c:<9}" for c in COLUMNS) + "  other"
    lines = ["", "ours / baseline, same run (rates: > 1 is better; times: < 1 is better)", head]
    for figure, cells in rows.items():
        line = f"{figure:<{width}}  " + "  ".join(f"{cells.get(c, ''):<9}" for c in COLUMNS)
        lines.append(f"{line}  {cells.get('other', '')}".rstrip())
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
