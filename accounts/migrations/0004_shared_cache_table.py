"""The table of the "shared" cache when there is no Redis (project/settings.py, CACHES).

Made here rather than by a separate ``createcachetable`` step, so that ``migrate`` alone prepares a
database, as it does for everything else. It does nothing when the cache is Redis.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_notify_replies_email_problems")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=True)]
