"""The tracing integration's view of the core's hooks, under the names this
package has always used (they live in :mod:`actors.lowlevel`)."""

from __future__ import annotations

from actors.lowlevel import TracedInfo, Tracer, traced_info
from actors.lowlevel import install_tracer as install
from actors.lowlevel import tracer_installed as installed
from actors.lowlevel import uninstall_tracer as uninstall

__all__ = ["TracedInfo", "Tracer", "install", "installed", "traced_info", "uninstall"]
