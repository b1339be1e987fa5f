"""Cluster settings: from the ``cluster=`` URL's query and the system's config.

Every setting can be given as a URL query parameter
(``redis://127.0.0.1:6379/0?heartbeat_interval=0.5``) or as a config key
with the ``cluster_`` prefix (``config={"cluster_heartbeat_interval": 0.5}``);
the URL wins. Unknown query parameters are refused by name, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

__all__ = ["DELIVERY_CLASSES", "DURABLE", "EPHEMERAL", "Settings"]

EPHEMERAL: Final = "ephemeral"
DURABLE: Final = "durable"
DELIVERY_CLASSES: Final = (EPHEMERAL, DURABLE)

# Query parameters redis-py itself understands: passed through to it.
_REDIS_PARAMS: Final = frozenset(
    {
        "db",
        "username",
        "password",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_certfile",
        "ssl_keyfile",
        "ssl_check_hostname",
        "client_name",
    }
)


def _positive(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        msg = f"cluster setting {attribute.name} must be a positive number, got {value!r}"
        raise ValueError(msg)


def _count(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"cluster setting {attribute.name} must be an int >= 1, got {value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Settings:
    """How a node takes part in the cluster.

    Attributes:
        url: the Redis URL (without this layer's own query parameters).
        namespace: prefix of every Redis key and channel (several clusters
            can share one Redis).
        heartbeat_interval: seconds between a node's heartbeats (and its
            checks of the others).
        heartbeat_timeout: seconds without a heartbeat after which a node
            is down (``nodedown``; its actors' monitors get ``noconnection``).
        retention: seconds durable messages stay in Redis for nodes that
            were disconnected (and remote-actor messages for nodes that are
            reconnecting).
        max_stream_length: entries a durable stream keeps at most, whatever
            their age (bounds Redis memory under a burst).
        outbox_limit: messages waiting for Redis at most (while it is
            unreachable); past it publishes get an ``Error`` and are counted
            as dropped.
        connect_timeout: seconds joining waits for Redis before raising.
        socket_timeout: seconds one Redis command may take before the
            connection is treated as broken.
        ping_interval: seconds of silence on a reading connection after
            which it is PINGed (a half-open socket is found this way).
        reconnect_min / reconnect_max: backoff between reconnection attempts
            (doubling, with up to 20% random jitter).
        read_batch: entries one stream read returns at most.
        dedupe_origins: origins (node incarnations x channels) whose sequence
            numbers are remembered for gap and duplicate detection.
        reply_channels: threads that may wait for a remote call's reply at
            once on a Redis connection of their own (the fast path); more
            concurrent callers get their replies through the inbox reader.
        delivery: per-instance delivery class overrides
            (``{"my_events": "durable"}``).
    """

    url: str
    namespace: str = "actors"
    heartbeat_interval: float = attrs.field(default=1.0, validator=_positive)
    heartbeat_timeout: float = attrs.field(default=5.0, validator=_positive)
    retention: float = attrs.field(default=300.0, validator=_positive)
    max_stream_length: int = attrs.field(default=100_000, validator=_count)
    outbox_limit: int = attrs.field(default=10_000, validator=_count)
    connect_timeout: float = attrs.field(default=5.0, validator=_positive)
    socket_timeout: float = attrs.field(default=5.0, validator=_positive)
    ping_interval: float = attrs.field(default=1.0, validator=_positive)
    reconnect_min: float = attrs.field(default=0.05, validator=_positive)
    reconnect_max: float = attrs.field(default=2.0, validator=_positive)
    read_batch: int = attrs.field(default=512, validator=_count)
    dedupe_origins: int = attrs.field(default=4096, validator=_count)
    reply_channels: int = attrs.field(default=32, validator=_count)
    delivery: Mapping[str, str] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.heartbeat_timeout <= self.heartbeat_interval:
            msg = (
                f"cluster heartbeat_timeout ({self.heartbeat_timeout}) must be longer "
                f"than heartbeat_interval ({self.heartbeat_interval})"
            )
            raise ValueError(msg)
        for instance, kind in self.delivery.items():
            if kind not in DELIVERY_CLASSES:
                msg = (
                    f"cluster delivery class of {instance!r} must be one of "
                    f"{', '.join(DELIVERY_CLASSES)}, got {kind!r}"
                )
                raise ValueError(msg)
        if not self.namespace or not isinstance(self.namespace, str):
            msg = f"cluster namespace must be a non-empty str, got {self.namespace!r}"
            raise ValueError(msg)

    @classmethod
    def parse(cls, url: str, config: Mapping[str, Any]) -> Settings:
        """Settings from ``url`` and ``config`` (see the module docstring).

        Raises:
            ValueError: an unknown or bad setting, named.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            msg = f"cluster URL must start with redis://, rediss:// or unix://, got {url!r}"
            raise ValueError(msg)
        names = {field.name for field in attrs.fields(cls)} - {"url", "delivery"}
        values: dict[str, Any] = {}
        for name in names:
            key = f"cluster_{name}"
            if key in config:
                values[name] = config[key]
        kept: list[tuple[str, str]] = []
        for key, text in parse_qsl(parts.query, keep_blank_values=True):
            if key in _REDIS_PARAMS:
                kept.append((key, text))
            elif key in names:
                values[key] = text if key == "namespace" else _number(key, text)
            else:
                msg = f"unknown cluster URL parameter {key!r} in {url!r}"
                raise ValueError(msg)
        delivery = config.get("cluster_delivery", {})
        if not isinstance(delivery, Mapping):
            msg = f"config['cluster_delivery'] must map instance names to classes, got {delivery!r}"
            raise TypeError(msg)
        clean = urlunsplit(parts._replace(query=urlencode(kept)))
        return cls(url=clean, delivery=dict(delivery), **values)


def _number(key: str, text: str) -> float | int:
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        msg = f"cluster URL parameter {key} must be a number, got {text!r}"
        raise ValueError(msg) from None
