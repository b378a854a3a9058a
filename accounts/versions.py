"""Cache versions: cached data of an owner is keyed by a version that a change replaces.

Instead of keeping an index of the keys to delete, a change sets a new version; every key built
with the old one is simply never read again and expires. Works the same on the local-memory cache
and on Redis shared by several hosts.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache


def _key(namespace: str, owner_id: int) -> str:
    return f"version:{namespace}:{owner_id}"


def current(namespace: str, owner_id: int) -> str:
    key = _key(namespace, owner_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, secrets.token_hex(6), None)
        version = cache.get(key)
    return version


def bump(namespace: str, owner_id: int) -> None:
    cache.set(_key(namespace, owner_id), secrets.token_hex(6), None)
