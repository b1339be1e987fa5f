"""``python -m actors``: the same as the ``actors`` console script."""

from __future__ import annotations

from actors.cli import main

raise SystemExit(main())
