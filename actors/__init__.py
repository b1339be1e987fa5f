"""Erlang/OTP-style actors for Python, on pykka.

GenServer actors with OTP failure semantics (links, monitors, exit reasons,
calls that fail loudly), isolated actor systems with an injectable clock, and
a pooled runtime that serves thousands of actors with a few threads.
Supervision trees live in the sibling package ``supervision``; pub/sub in
``actors.pubsub``.
"""

from __future__ import annotations

from actors._aio import AsyncInbox, InboxClosed, acall, acast, arun_blocking, asend, astop
from actors._api import (
    call,
    cancel_timer,
    cast,
    current,
    demonitor,
    exit,
    link,
    monitor,
    monitor_node,
    node,
    nodes,
    reply,
    send,
    send_after,
    stop,
    unlink,
    whereis,
)
from actors._async_server import AsyncGenServer
from actors._blocking import blocking
from actors._clock import Clock, ManualClock, SystemClock
from actors._current import current_system
from actors._envelopes import Caller
from actors._errors import (
    ActorError,
    AlreadyStarted,
    CallError,
    NoProcError,
    PoolExhausted,
    StartError,
)
from actors._genserver import GenServer
from actors._lifecycle import ProcessLifecycle
from actors._process import MonitorRef
from actors._reasons import KILL, KILLED, NOPROC, NORMAL, SHUTDOWN, format_reason, is_normal_exit
from actors._ref import Ref
from actors._result import Error, Ok
from actors._server import NO_REPLY
from actors._system import ActorSystem, SystemStatistics, default_system
from actors._timers import TimerRef
from actors._version import __version__

__all__ = [
    "KILL",
    "KILLED",
    "NOPROC",
    "NORMAL",
    "NO_REPLY",
    "SHUTDOWN",
    "ActorError",
    "ActorSystem",
    "AlreadyStarted",
    "AsyncGenServer",
    "AsyncInbox",
    "CallError",
    "Caller",
    "Clock",
    "Error",
    "GenServer",
    "InboxClosed",
    "ManualClock",
    "MonitorRef",
    "NoProcError",
    "Ok",
    "PoolExhausted",
    "ProcessLifecycle",
    "Ref",
    "StartError",
    "SystemClock",
    "SystemStatistics",
    "TimerRef",
    "__version__",
    "acall",
    "acast",
    "arun_blocking",
    "asend",
    "astop",
    "blocking",
    "call",
    "cancel_timer",
    "cast",
    "current",
    "current_system",
    "default_system",
    "demonitor",
    "exit",
    "format_reason",
    "is_normal_exit",
    "link",
    "monitor",
    "monitor_node",
    "node",
    "nodes",
    "reply",
    "send",
    "send_after",
    "stop",
    "unlink",
    "whereis",
]
