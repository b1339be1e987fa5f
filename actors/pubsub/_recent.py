"""Recent broadcasts of an actor system, so ``drop_oldest`` knows its own messages.

The ``drop_oldest`` policy takes back the oldest queued message of the
instance that finds a mailbox full, and books it as dropped on the topic it
was broadcast on. A queued message carries no wrapper (that would cost an
allocation per delivery), so the instance recognises it by identity: every
broadcast to a ``drop_oldest`` subscriber notes ``id(message) -> (message,
instance, topic)`` here. The note holds a reference, so the id cannot be
reused while it is remembered.

One ring per system, shared by its instances: an object broadcast by two
instances, or on two topics, cannot be attributed to one of them, so it is
marked ambiguous and no longer taken back (the new message is dropped
instead, and booked on its own topic). The books stay exact either way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

__all__ = ["RECENT_LIMIT", "RecentBroadcasts"]

RECENT_LIMIT: Final = 65_536
"""Broadcast messages a system remembers. A queued message older than that
is no longer recognised: the new message is then dropped instead (and
counted)."""

_AMBIGUOUS: Final = object()


class RecentBroadcasts:
    """The ring of recent broadcast messages (thread-safe)."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self._limit = limit
        # id -> [message, owner, topic]; OrderedDict pops its oldest in O(1).
        self._entries: OrderedDict[int, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, message: Any, owner: object, topic: str) -> None:
        """Note that ``owner`` broadcasts ``message`` on ``topic``."""
        key = id(message)
        entries = self._entries
        with self._lock:
            entry = entries.get(key)
            if entry is None:
                entries[key] = [message, owner, topic]
                if len(entries) > self._limit:
                    entries.popitem(last=False)
                return
            # The same object again (the note keeps it alive, so the id is
            # its own): keep the first topic, but an object seen with another
            # owner or topic can no longer be attributed.
            if entry[1] is not owner or entry[2] != topic:
                entry[1] = _AMBIGUOUS
            entries.move_to_end(key)

    def evictor(
        self, owner: object, on_evict: Callable[[str], None]
    ) -> tuple[Callable[[Any], bool], Callable[[Any], None]]:
        """The ``evictable``/``on_evict`` pair for one ``Process.offer`` call:
        only ``owner``'s unambiguous messages may be taken back, and
        ``on_evict(topic)`` books the one that was, on its topic. Both run in
        the publisher's thread, one after the other."""
        entries = self._entries
        chosen: list[str] = []

        def evictable(item: Any) -> bool:
            entry = entries.get(id(item))
            if entry is None or entry[0] is not item or entry[1] is not owner:
                return False
            chosen.append(entry[2])
            return True

        def evicted(item: Any) -> None:
            on_evict(chosen[-1])

        return evictable, evicted
