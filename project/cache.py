"""The shared cache of the embedded default (no Redis): Django's database cache, with counters
that count every hit.

Django's ``DatabaseCache.incr`` reads, adds and writes in separate statements, so two web
processes counting at once (rate limits) can both write the same number and lose a hit. Here the
read and the write happen in one transaction that holds the row: ``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite, Convene's IMMEDIATE transactions take the database's write lock at BEGIN.
"""

from __future__ import annotations

from django.core.cache.backends import db
from django.db import connections, router, transaction


class DatabaseCache(db.DatabaseCache):
    def incr(self, key, delta=1, version=None):
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)
