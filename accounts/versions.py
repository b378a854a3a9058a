"""Cache versions: cached data of an owner is keyed by a version that a change replaces.

Instead of keeping an index of the keys to delete, a change sets a new version; every key built
with the old one is simply never read again and expires. The versions live in the "versions"
cache (Redis; files beside the database on the embedded SQLite default; project/settings.py),
shared by every process, so a change made in one web process is seen by every other at its next
request, while the data they describe sit in each process's own memory (the "local" cache).
``reuse`` is the read-through step every such cached value goes through.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import caches
from django.utils.connection import ConnectionProxy

# This process's own memory: values computed from versioned data (see the module docstring).
local = caches["local"]
shared = ConnectionProxy(caches, "versions")


def _key(namespace: str, owner_id: int) -> str:
    return f"version:{namespace}:{owner_id}"


def current(namespace: str, owner_id: int) -> str:
    return current_many((namespace, owner_id))[0]


def current_many(*wanted: tuple[str, int]) -> tuple[str, ...]:
    """The versions of several (namespace, owner) pairs, read in one go."""
    keys = [_key(namespace, owner_id) for namespace, owner_id in wanted]
    found = shared.get_many(keys)
    for key in keys:
        if key not in found:
            shared.add(key, secrets.token_hex(6), None)
            found[key] = shared.get(key)
    return tuple(found[key] for key in keys)


def bump(namespace: str, owner_id: int) -> None:
    shared.set(_key(namespace, owner_id), secrets.token_hex(6), None)


@dataclass(frozen=True)
class Entry:
    stamp: tuple[str, ...]  # the versions the value was computed from
    computed_at: datetime
    valid_until: datetime | None  # when the value could change on its own (time passing); None: never
    value: Any


def valid(entry: Entry, stamp: tuple[str, ...], now: datetime) -> bool:
    return entry.stamp == stamp and entry.computed_at <= now and (entry.valid_until is None or now < entry.valid_until)


def reuse(
    key: str,
    stamp: tuple[str, ...],
    now: datetime,
    compute: Callable[[], tuple[Any, datetime | None]],
    *,
    timeout: int,
) -> Any:
    """The value cached (in this process) under ``key`` if it was computed from the versions ``stamp`` and is still
    valid at ``now``; otherwise ``compute()``'s (which returns the value and its ``valid_until``),
    cached for at most ``timeout`` seconds."""
    entry = local.get(key)
    if entry is not None and valid(entry, stamp, now):
        return entry.value
    value, valid_until = compute()
    local.set(key, Entry(stamp, now, valid_until, value), timeout)
    return value
