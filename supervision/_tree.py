"""The shape of a running supervision tree, for people and for the CLI."""

from __future__ import annotations

from typing import Any

import attrs

import actors
from supervision._api import DEFAULT_TIMEOUT, request

__all__ = ["TreeNode", "format_tree", "tree"]


@attrs.frozen
class TreeNode:
    """One node of :func:`tree`: a supervisor or a worker.

    Attributes:
        id: the child id in its parent (``None`` for the root).
        component: the class (or start callable) name.
        name: the registered name, if any.
        type: ``"supervisor"`` or ``"worker"``.
        state: ``"running"``, ``"restarting"`` or ``"stopped"``.
        restarts: restarts of this child so far (0 for the root).
        ref: the current ref, if running.
        children: the node's children (supervisors only).
    """

    id: Any
    component: str
    name: Any
    type: str
    state: str
    restarts: int
    ref: Any
    children: tuple[TreeNode, ...] = ()


def tree(sup: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> TreeNode:
    """Walk the supervision tree below ``sup`` (a ref or registered name)."""
    ref = sup if isinstance(sup, actors.Ref) else actors.whereis(sup)
    if ref is None:
        raise actors.NoProcError(sup)
    return TreeNode(
        id=None,
        component=ref.component,
        name=ref.name,
        type="supervisor",
        state="running" if ref.is_alive() else "stopped",
        restarts=0,
        ref=ref,
        children=_children(ref, timeout),
    )


def _children(sup: actors.Ref[Any], timeout: float | None) -> tuple[TreeNode, ...]:
    nodes = []
    for child_id, ref, status, kind, restarts, component in request(
        sup, "describe", timeout=timeout
    ):
        children: tuple[TreeNode, ...] = ()
        if kind == "supervisor" and ref is not None and status == "running":
            try:
                children = _children(ref, timeout)
            except actors.CallError:
                children = ()  # exited while we looked
        nodes.append(
            TreeNode(
                id=child_id,
                component=component,
                name=None if ref is None else ref.name,
                type=kind,
                state=status,
                restarts=restarts,
                ref=ref,
                children=children,
            )
        )
    return tuple(nodes)


def format_tree(node: TreeNode) -> str:
    """An indented text rendering, one line per node."""
    lines: list[str] = []

    def label(n: TreeNode) -> str:
        who = n.component if n.id is None else f"{n.id}"
        if n.name is not None and n.name != n.id:
            who += f" ({n.name})"
        details = [n.state]
        if n.restarts:
            details.append(f"{n.restarts} restart{'s' if n.restarts != 1 else ''}")
        return f"{who} [{n.type}: {', '.join(details)}]"

    def walk(n: TreeNode, prefix: str, last: bool, root: bool) -> None:
        if root:
            lines.append(label(n))
            child_prefix = ""
        else:
            lines.append(f"{prefix}{'└── ' if last else '├── '}{label(n)}")
            child_prefix = prefix + ("    " if last else "│   ")
        for i, child in enumerate(n.children):
            walk(child, child_prefix, i == len(n.children) - 1, False)

    walk(node, "", True, True)
    return "\n".join(lines)
