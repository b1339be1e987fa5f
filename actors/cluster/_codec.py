"""The one wire format of the cluster: versioned JSON envelopes, no pickle.

Every cross-node message (a broadcast, a remote send, a call and its reply,
a monitor's ``DOWN``) is an :class:`Envelope` encoded as compact JSON::

    {"v": 1, "k": "b", "o": "orders@host-a", "i": "<incarnation>", "s": 42,
     "t": 1767225600123, "n": "ex_esdb_events", "c": "event_stream:orders",
     "to": null, "p": <payload>}

``v`` is the format version (a reader refuses a newer one by name), ``k``
the kind, ``o``/``i`` the origin node and its incarnation (a node restarted
under the same name is a new origin), ``s`` the per-origin sequence number
of the channel, ``t`` the origin's clock in ms. Payloads are JSON values;
what JSON lacks is spelled with one-key objects whose key starts with ``$``:
``{"$t": [...]}`` a tuple, ``{"$msg": {...}}`` a catalogue message through
the message codec (``actors.messages.to_dict``), ``{"$dt": "..."}`` a
datetime, ``{"$b": "base64"}`` bytes, ``{"$set": [...]}``, ``{"$map":
[[k, v], ...]}`` a dict with non-string (or ``$``) keys, ``{"$ok": [...]}``
and ``{"$err": [...]}`` results, ``{"$exc": {...}}`` an exception, and
``{"$pid": [node, id, name]}`` an actor reference. Anything else is refused
at the sender with an :class:`~actors.cluster.EncodeError` naming its type.
"""

from __future__ import annotations

import base64
import builtins
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import attrs

from actors import CallError, Error, Ok, messages
from actors.cluster._errors import EncodeError, RemoteError

__all__ = ["VERSION", "Codec", "Envelope", "EnvelopeError"]

VERSION: Final = 1

_DUMPS: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class EnvelopeError(ValueError):
    """Bytes from the wire that are not a valid envelope (counted, dropped)."""


@attrs.define(slots=True)
class Envelope:
    """One cross-node message (see the module docstring for the fields)."""

    kind: str
    origin: str
    incarnation: str
    seq: int
    timestamp: int
    payload: Any = None
    instance: str | None = None
    topic: str | None = None
    to: str | None = None
    extra: dict[str, Any] | None = None
    """Kind-specific fields (call ids, addresses), JSON values."""


ExportHook = Callable[[Any], list[Any] | None]
ResolveHook = Callable[[str, str, Any], Any]


class Codec:
    """Encodes values and envelopes for one node.

    ``export(value)`` turns an actor reference (a ``Ref``, a probe, a remote
    reference) into ``[node, id, name]`` or returns ``None`` if ``value`` is
    not one; ``resolve(node, id, name)`` turns it back into something
    ``actors.send`` accepts on the receiving node. Both run in the thread
    that encodes or decodes.
    """

    def __init__(self, export: ExportHook, resolve: ResolveHook) -> None:
        self._export = export
        self._resolve = resolve

    # Values ----------------------------------------------------------------

    def encode_value(self, value: Any, path: str = "$") -> Any:
        """A JSON value for ``value``.

        Raises:
            EncodeError: something in ``value`` has no wire form (named).
        """
        cls = value.__class__
        if cls is str or cls is int or cls is bool or value is None:
            return value
        if cls is float:
            if value != value or value in (float("inf"), float("-inf")):
                return {"$f": repr(value)}
            return value
        if cls is tuple:
            return {"$t": [self.encode_value(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if cls is list:
            return [self.encode_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if cls is dict:
            if all(k.__class__ is str and not k.startswith("$") for k in value):
                return {k: self.encode_value(v, f"{path}.{k}") for k, v in value.items()}
            return {
                "$map": [
                    [self.encode_value(k, f"{path}<key>"), self.encode_value(v, f"{path}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        return self._encode_other(value, path)

    def _encode_other(self, value: Any, path: str) -> Any:
        if messages.spec_for(value) is not None:
            try:
                return {"$msg": messages.to_dict(value)}
            except messages.MessageFormatError as exc:
                raise EncodeError(f"{type(value).__qualname__} ({exc})", path) from None
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, bytes | bytearray | memoryview):
            return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, set | frozenset):
            tag = "$set" if isinstance(value, set) else "$fset"
            return {tag: [self.encode_value(v, f"{path}{{}}") for v in value]}
        if isinstance(value, Ok):
            return {"$ok": [self.encode_value(value.value, path), self._details(value, path)]}
        if isinstance(value, Error):
            return {"$err": [self.encode_value(value.reason, path), self._details(value, path)]}
        if isinstance(value, BaseException):
            return {"$exc": self._exception(value, path)}
        if isinstance(value, str | int | float):  # subclasses (enums...): their plain value
            return self.encode_value(_plain(value), path)
        pid = self._export(value)
        if pid is not None:
            return {"$pid": pid}
        raise EncodeError(_qualname(value), path)

    def _details(self, result: Ok | Error, path: str) -> Any:
        return self.encode_value(dict(result.details), path)

    def _exception(self, exc: BaseException, path: str) -> dict[str, Any]:
        if isinstance(exc, CallError):
            return {
                "type": "CallError",
                "module": "actors",
                "reason": self.encode_value(exc.reason, path),
                "text": str(exc),
            }
        if isinstance(exc, RemoteError):
            return {"type": exc.type_name, "module": "", "text": exc.text, "args": None}
        try:
            args = self.encode_value(exc.args, path)
        except EncodeError:
            args = None
        module = type(exc).__module__
        name = type(exc).__qualname__
        return {"type": name, "module": module, "text": str(exc), "args": args}

    def decode_value(self, data: Any) -> Any:
        """The value ``data`` stands for.

        Raises:
            EnvelopeError: ``data`` is not something :meth:`encode_value` makes.
        """
        cls = data.__class__
        if cls is str or cls is int or cls is bool or cls is float or data is None:
            return data
        if cls is list:
            return [self.decode_value(v) for v in data]
        if cls is dict:
            if len(data) == 1:
                (key,) = data
                if key.startswith("$"):
                    return self._decode_tagged(key, data[key])
            return {k: self.decode_value(v) for k, v in data.items()}
        msg = f"not a wire value: {type(data).__name__}"
        raise EnvelopeError(msg)

    def _decode_tagged(self, key: str, body: Any) -> Any:
        match key:
            case "$t":
                return tuple(self.decode_value(v) for v in _list(body))
            case "$map":
                return {self.decode_value(k): self.decode_value(v) for k, v in _list(body)}
            case "$msg":
                try:
                    return messages.from_dict(body)
                except messages.MessageFormatError as exc:
                    raise EnvelopeError(str(exc)) from None
            case "$dt":
                return datetime.fromisoformat(_str(body))
            case "$b":
                return base64.b64decode(_str(body), validate=True)
            case "$set":
                return {self.decode_value(v) for v in _list(body)}
            case "$fset":
                return frozenset(self.decode_value(v) for v in _list(body))
            case "$f":
                return float(_str(body))
            case "$ok":
                value, details = _list(body)
                return Ok(self.decode_value(value), **self.decode_value(details))
            case "$err":
                reason, details = _list(body)
                return Error(self.decode_value(reason), **self.decode_value(details))
            case "$exc":
                return self.decode_exception(body)
            case "$pid":
                node, pid, name = _list(body)
                return self._resolve(_str(node), _str(pid), self.decode_value(name))
        msg = f"unknown wire tag {key!r}"
        raise EnvelopeError(msg)

    def decode_exception(self, body: Any) -> BaseException:
        """An exception from its wire form: built-in classes are rebuilt,
        ``CallError`` keeps its reason, anything else is a :class:`RemoteError`."""
        if not isinstance(body, dict):
            raise EnvelopeError("an exception must be an object")
        name = _str(body.get("type", "Exception"))
        module = body.get("module")
        text = str(body.get("text", ""))
        if module == "actors" and name == "CallError":
            return CallError(self.decode_value(body.get("reason")))
        if module == "builtins":
            cls = getattr(builtins, name, None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                args = body.get("args")
                try:
                    decoded = self.decode_value(args) if args is not None else (text,)
                    return cls(*decoded)
                except Exception:
                    return cls(text)
        full = name if not module or module == "builtins" else f"{module}.{name}"
        return RemoteError(full, text)

    # Envelopes ---------------------------------------------------------------

    def dumps(self, value: Any) -> str:
        """:meth:`encode_value` as compact JSON text (the payload of :meth:`frame`)."""
        return _DUMPS(self.encode_value(value))

    @staticmethod
    def frame(
        kind: str,
        origin: str,
        incarnation: str,
        seq: int,
        timestamp: int,
        payload_json: str,
        instance: str | None = None,
        topic: str | None = None,
        to: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> bytes:
        """The wire bytes of an envelope whose payload is already JSON text
        (encoded once, outside the outbox's lock)."""
        head: dict[str, Any] = {
            "v": VERSION,
            "k": kind,
            "o": origin,
            "i": incarnation,
            "s": seq,
            "t": timestamp,
        }
        if instance is not None:
            head["n"] = instance
        if topic is not None:
            head["c"] = topic
        if to is not None:
            head["to"] = to
        if extra:
            head["x"] = extra
        return (_DUMPS(head)[:-1] + ',"p":' + payload_json + "}").encode()

    def decode(self, raw: bytes | str) -> tuple[Envelope, Any]:
        """``(envelope, raw payload)``: the payload is decoded separately by
        :meth:`decode_value` (only when this node delivers it).

        Raises:
            EnvelopeError: not an envelope, or from a newer writer.
        """
        try:
            data = json.loads(raw)
        except (ValueError, TypeError, RecursionError) as exc:
            msg = f"not JSON ({type(exc).__name__})"
            raise EnvelopeError(msg) from None
        if not isinstance(data, dict):
            raise EnvelopeError("an envelope must be a JSON object")
        version = data.get("v")
        if version != VERSION:
            msg = f"envelope version {version!r} is not {VERSION} (a newer node?)"
            raise EnvelopeError(msg)
        try:
            envelope = Envelope(
                kind=_str(data["k"]),
                origin=_str(data["o"]),
                incarnation=_str(data["i"]),
                seq=_int(data["s"]),
                timestamp=_int(data["t"]),
                instance=_opt_str(data.get("n")),
                topic=_opt_str(data.get("c")),
                to=_opt_str(data.get("to")),
                extra=data.get("x"),
            )
        except KeyError as exc:
            msg = f"envelope field {exc.args[0]!r} is missing"
            raise EnvelopeError(msg) from None
        if envelope.extra is not None and not isinstance(envelope.extra, dict):
            raise EnvelopeError("envelope field 'x' must be an object")
        return envelope, data.get("p")


def _plain(value: Any) -> Any:
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return value


def _qualname(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise EnvelopeError("expected a JSON array")
    return body


def _str(body: Any) -> str:
    if not isinstance(body, str):
        raise EnvelopeError(f"expected a string, got {type(body).__name__}")
    return body


def _opt_str(body: Any) -> str | None:
    return None if body is None else _str(body)


def _int(body: Any) -> int:
    if body.__class__ is not int:
        raise EnvelopeError(f"expected an integer, got {type(body).__name__}")
    return int(body)
