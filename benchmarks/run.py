"""Run the benchmark suite and print JSON lines (one figure per line).

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --quick         # smaller sizes, same figures
    python benchmarks/run.py --only fanout   # names containing "fanout"

Each figure sits beside its baseline measured in the same run; quote the
``ratio``, not the absolute values: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import emit, log

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
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    import importlib

    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, bench in module.BENCHMARKS.items():
            if args.list:
                print(name)
                continue
            if args.only and not any(part in name for part in args.only):
                continue
            log(f"running {name} ...")
            emit(bench(scale))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
