"""A node in its own process, driven by the tests through remote calls.

    python -m tests.cluster.node_main NODE URL [instance=class ...] [secure=instance ...]

It joins the cluster, registers a ``control`` actor (see :class:`Control`),
prints ``ready NODE``, and runs until its stdin closes (then shuts down
cleanly) or it is killed. Lines it prints are read by the test harness.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import actors
import actors.cluster
import supervision as sv
from actors import pubsub
from actors.pubsub import PubSubManager

TEST_SECRET = "cluster-test-secret-" + "x" * 60
"""At least 64 bytes: signing refuses shorter secrets."""


def say(*parts: Any) -> None:
    print(*parts, flush=True)


class Echo(actors.GenServer):
    """Replies to calls; ``("crash", text)`` raises, ``("sleep", s)`` waits."""

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("crash", text):
                raise ValueError(text)
            case ("sleep", seconds):
                with actors.blocking():
                    time.sleep(seconds)  # a slow handler, on purpose
                return "slept"
            case ("whoami",):
                return actors.node()
        return ("echo", request)


class Forwarder(actors.GenServer):
    """Sends ``(node, tag, message)`` to ``target`` for every message it gets."""

    def init(self, target: Any, tag: str = "got") -> None:
        self.target = target
        self.tag = tag

    def handle_info(self, message: Any) -> None:
        actors.send(self.target, (actors.node(), self.tag, message))

    def handle_cast(self, request: Any) -> None:
        actors.send(self.target, (actors.node(), "cast", request))


class Watcher(actors.GenServer):
    """Monitors a target (or a node) and forwards what arrives."""

    def init(self, target: Any, forward_to: Any, kind: str) -> None:
        self.forward_to = forward_to
        if kind == "node":
            actors.monitor_node(target)
        elif kind == "link":
            self.trap_exits = True
            actors.link(target)
        else:
            actors.monitor(target)

    def handle_info(self, message: Any) -> None:
        if message[0] == "DOWN":
            message = ("DOWN", message[2], message[3], message[4])  # the ref stays here
        actors.send(self.forward_to, (actors.node(), "watch", message))


class Dependent(actors.GenServer):
    """Links to a remote dependency in init and reports each start."""

    def init(self, dependency: Any, report_to: Any) -> None:
        actors.link(dependency)
        actors.send(report_to, (actors.node(), "dependent_started", actors.current()))


class Control(actors.GenServer):
    def init(self) -> None:
        self.streams: dict[str, threading.Event] = {}

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        manager = PubSubManager.of(self.system)
        match request:
            case ("start_echo", name):
                Echo.start(name=name)
                return "ok"
            case ("start_forwarder", name, target):
                Forwarder.start(target, name=name)
                return "ok"
            case ("start_dependency_tree", name):
                sv.Supervisor.start([sv.child_spec("dep", Echo, name=name)], name=f"{name}_sup")
                return "ok"
            case ("start_dependent_tree", dependency, report_to):
                sv.Supervisor.start(
                    [sv.child_spec("dependent", Dependent, dependency, report_to)],
                    max_restarts=10,
                    max_seconds=5,
                    name="dependent_sup",
                )
                return "ok"
            case ("subscribe", instance, topic, target, name):
                manager.ensure(instance)
                ref = Forwarder.start(target, name=name)
                pubsub.subscribe(instance, topic, subscriber=ref)
                return "ok"
            case ("publish", how, instance, topic, message, extra):
                handle = manager.ensure(instance)
                if how == "broadcast":
                    result = handle.broadcast(topic, message)
                elif how == "local":
                    result = handle.local_broadcast(topic, message)
                elif how == "direct":
                    result = handle.direct_broadcast(extra, topic, message)
                else:  # broadcast_from a local subscriber, by name
                    result = handle.broadcast_from(actors.whereis(extra), topic, message)
                return repr(result)
            case ("watch", target, forward_to, kind):
                Watcher.start(target, forward_to, kind)
                return "ok"
            case ("stream", instance, topic, interval):
                stop = threading.Event()
                self.streams[instance] = stop
                handle = manager.ensure(instance)
                threading.Thread(
                    target=_stream, args=(handle, topic, interval, stop), daemon=True
                ).start()
                return "ok"
            case ("stream_stop", instance):
                self.streams.pop(instance).set()
                return "ok"
            case ("nodes",):
                return actors.nodes()
            case ("statistics",):
                return repr(actors.cluster.statistics(self.system))
        return super().handle_call(request, caller)


def _stream(handle: Any, topic: str, interval: float, stop: threading.Event) -> None:
    """Publish 1, 2, 3... at a steady rate; print each result (a load
    generator: its pacing is the point, not a wait)."""
    i = 0
    while not stop.is_set():
        i += 1
        try:
            result = handle.broadcast(topic, ("tick", i))
        except BaseException as exc:
            say("raised", i, repr(exc))
            continue
        say("pub", i, "ok" if result else f"error:{result.reason}")
        stop.wait(interval)
    say("done", i)


def main() -> None:
    node, url, *options = sys.argv[1:]
    delivery: dict[str, str] = {}
    secure: list[str] = []
    for option in options:
        key, value = option.split("=", 1)
        if key == "secure":
            secure.append(value)
        else:
            delivery[key] = value
    system = actors.ActorSystem(
        name=node.split("@")[0],
        node=node,
        cluster=url,
        config={"cluster_delivery": delivery, "secret_key_base": TEST_SECRET},
    )
    manager = PubSubManager.of(system)
    for instance in secure:
        manager.ensure(instance, secure=True)
    manager.ensure("ex_esdb_security")
    Control.start(name="control", system=system)
    say("ready", node)
    sys.stdin.read()
    system.shutdown()
    say("bye", node)


if __name__ == "__main__":
    main()
