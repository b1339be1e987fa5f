"""Top frames of a py-spy ``--format raw`` profile (collapsed stacks).

    python benchmarks/profile_top.py profile.txt [--top 15] [--thread NAME]

Prints, per function (``name (file)``, line numbers folded), the share of
samples in which it is the running frame (self) and in which it is on the
stack at all (inclusive). Samples are of threads that were not idle (py-spy's
default), so a thread waiting on a lock does not count.
"""

from __future__ import annotations

import argparse
import os
import re
from collections import Counter

_LINE = re.compile(r":\d+\)$")


_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _function(frame: str) -> str:
    frame = _LINE.sub(")", frame.strip())
    # Keep "name (package/module.py)": drop the path up to site-packages, the
    # repository's root (where actors/ lives) or the standard library.
    match = re.match(r"(.*) \((.*)\)$", frame)
    if match is None:
        return frame
    name, path = match.groups()
    for marker in ("site-packages/", _REPO_ROOT, "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--thread", help="only stacks whose thread frame contains this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    with open(args.profile) as f:
        for line in f:
            stack, _, count_text = line.rstrip().rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            frames = stack.split(";")
            if frames[0].startswith("thread") or frames[0].startswith("process"):
                thread = frames[0]
                frames = frames[1:]
            else:
                thread = "?"
            if args.thread and args.thread not in thread:
                continue
            threads[thread] += count
            samples += count
            functions = [_function(frame) for frame in frames]
            if functions:
                own[functions[-1]] += count
            for function in set(functions):
                total[function] += count
    print(f"{samples} samples")
    print("by thread:")
    for thread, count in threads.most_common(6):
        print(f"  {100 * count / samples:5.1f}%  {thread}")
    print("self (running frame):")
    for function, count in own.most_common(args.top):
        print(f"  {100 * count / samples:5.1f}%  {function}")
    print("inclusive (on the stack):")
    for function, count in total.most_common(args.top):
        print(f"  {100 * count / samples:5.1f}%  {function}")


if __name__ == "__main__":
    main()
