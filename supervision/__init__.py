"""OTP supervision trees for ``actors`` GenServers.

``Supervisor`` restarts a static, ordered list of children by OTP's rules
(restart types, strategies, intensity, shutdown protocol, significant
children); ``DynamicSupervisor`` starts children on demand. Beyond OTP:
per-child backoff restarts and a per-exception ``decider`` (Akka's
directives).
"""

from __future__ import annotations

from supervision._api import (
    ChildHandle,
    count_children,
    delete_child,
    get_childspec,
    handle,
    restart_child,
    restart_intensity,
    start_child,
    terminate_child,
    which_children,
)
from supervision._errors import (
    AlreadyPresent,
    ChildAlreadyStarted,
    ChildStartError,
    MaxChildren,
    NotFound,
    NotSupported,
    Restarting,
    Running,
    SupervisorError,
)
from supervision._events import (
    CHILD_START_FAILED,
    EVENT_TYPES,
    MAX_RESTARTS_REACHED,
    RESTARTED,
    SHUTDOWN,
)
from supervision._intensity import IntensityStatus, RestartIntensity
from supervision._spec import Backoff, ChildSpec, child_spec
from supervision._supervisor import AUTO_SHUTDOWN, STRATEGIES, DynamicSupervisor, Supervisor
from supervision._tree import TreeNode, format_tree, tree

__all__ = [
    "AUTO_SHUTDOWN",
    "CHILD_START_FAILED",
    "EVENT_TYPES",
    "MAX_RESTARTS_REACHED",
    "RESTARTED",
    "SHUTDOWN",
    "STRATEGIES",
    "AlreadyPresent",
    "Backoff",
    "ChildAlreadyStarted",
    "ChildHandle",
    "ChildSpec",
    "ChildStartError",
    "DynamicSupervisor",
    "IntensityStatus",
    "MaxChildren",
    "NotFound",
    "NotSupported",
    "RestartIntensity",
    "Restarting",
    "Running",
    "Supervisor",
    "SupervisorError",
    "TreeNode",
    "child_spec",
    "count_children",
    "delete_child",
    "format_tree",
    "get_childspec",
    "handle",
    "restart_child",
    "restart_intensity",
    "start_child",
    "terminate_child",
    "tree",
    "which_children",
]
