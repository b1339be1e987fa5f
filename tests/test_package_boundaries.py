"""No package above the core imports another package's private modules
(``actors.eventstore._pg_url`` from ``actors.audit``, say): each offers the
names others need publicly (``actors.eventstore.postgres``). import-linter's
contracts cover the core's private modules; this covers the rest, lazy
imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(
    p for p in (ROOT / "actors").iterdir() if p.is_dir() and (p / "__init__.py").exists()
)


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "actors" else None


def _crossings(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                other = _package_of(name)
                private = any(part.startswith("_") for part in name.split(".")[2:3])
                if other is not None and other != package.name and private:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_there_are_packages_to_check() -> None:
    assert {"audit", "eventstore", "eventbus", "cli"} <= {p.name for p in PACKAGES}


def test_no_package_imports_another_packages_private_modules() -> None:
    assert [] == [line for package in PACKAGES for line in _crossings(package)]
