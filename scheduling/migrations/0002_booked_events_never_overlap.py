"""On PostgreSQL, a host's active booked events can never overlap: the database's last guard
behind booking's row lock (booking/book.py). SQLite has no exclusion constraints; there the
IMMEDIATE transaction and the re-check under the lock are the guard."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def constraint() -> ExclusionConstraint:
    return ExclusionConstraint(
        name="booked_events_never_overlap",
        expressions=[
            ("owner", RangeOperators.EQUAL),
            (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
        ],
        condition=models.Q(origin="booking") & ~models.Q(status="cancelled"),
    )


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_constraint(apps.get_model("scheduling", "Event"), constraint())


def remove_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_constraint(apps.get_model("scheduling", "Event"), constraint())


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, remove_constraint),
    ]
