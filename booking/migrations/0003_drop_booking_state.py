"""Drop the booking columns whose state now lives on the Event (0002 moved it), in a migration of
their own so PostgreSQL alters the table after the data migration has committed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_thin_booking")]

    operations = [
        migrations.RemoveIndex(
            model_name="booking",
            name="booking_reminder_due",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="cancel_reason",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="cancelled_at",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="cancelled_by",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="host",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="location",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="remind_at",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="reminder_sent_at",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="sequence",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="status",
        ),
        migrations.RemoveField(
            model_name="booking",
            name="uid",
        ),
    ]
