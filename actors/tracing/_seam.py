"""The one place above the core that reaches the core's tracing hooks.

TODO(lowlevel): ``install``/``uninstall``/``traced_info`` belong in
``actors.lowlevel``; until they are there, this module imports the private
core module and nothing else does.
"""

from __future__ import annotations

from actors._tracing import TracedInfo, Tracer, install, installed, traced_info, uninstall

__all__ = ["TracedInfo", "Tracer", "install", "installed", "traced_info", "uninstall"]
