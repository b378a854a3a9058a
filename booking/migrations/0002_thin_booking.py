"""A booking becomes a thin record on its Event: status, cancellation, reminders, UID and SEQUENCE
move to the Event (scheduling 0008), the booker's seat is their Attendee row."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


BY = {"host": "owner", "booker": "attendee"}


def move_state_to_events(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    Attendee = apps.get_model("scheduling", "Attendee")
    ReminderSent = apps.get_model("scheduling", "ReminderSent")
    for booking in Booking.objects.select_related("event", "event_type").iterator():
        event = booking.event
        attendee = Attendee.objects.filter(event=event, email__iexact=booking.email).first()
        changed = []
        if booking.status == "cancelled" and event.status != "cancelled":
            # A seat given up in a group slot that goes on.
            booking.attendee = None
            booking.seat_cancelled_at = booking.cancelled_at
            booking.seat_cancelled_by = BY.get(booking.cancelled_by, "")
            booking.seat_cancel_reason = booking.cancel_reason
        else:
            if attendee is None and booking.status != "cancelled":
                attendee = Attendee.objects.create(
                    event=event, name=booking.name, email=booking.email, status="accepted"
                )
            booking.attendee = attendee
            if booking.status == "cancelled" and event.cancelled_at is None:
                event.cancelled_at = booking.cancelled_at
                event.cancelled_by = BY.get(booking.cancelled_by, "")
                event.cancel_reason = booking.cancel_reason
                changed += ["cancelled_at", "cancelled_by", "cancel_reason"]
        booking.save(update_fields=["attendee", "seat_cancelled_at", "seat_cancelled_by", "seat_cancel_reason"])
        if booking.uid == event.uid and booking.sequence > event.sequence:
            event.sequence = booking.sequence
            changed.append("sequence")
        minutes = booking.event_type.reminder_minutes if booking.event_type else 0
        if minutes and not event.reminders:
            event.reminders, event.remind_attendees = [minutes], True
            changed += ["reminders", "remind_attendees"]
        if minutes and booking.reminder_sent_at:
            ReminderSent.objects.get_or_create(event=event, occurrence_start=event.start, minutes=minutes)
        if booking.location and not event.location:
            event.location = booking.location
            changed.append("location")
        if changed:
            event.save(update_fields=sorted(set(changed)))


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        ("scheduling", "0008_event_cancellation"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="attendee",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="booking",
                to="scheduling.attendee",
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="seat_cancel_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="seat_cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="seat_cancelled_by",
            field=models.CharField(
                blank=True, choices=[("owner", "The organiser"), ("attendee", "An attendee")], max_length=16
            ),
        ),
        migrations.AlterField(
            model_name="eventtype",
            name="reminder_minutes",
            field=models.PositiveIntegerField(
                default=1440,
                help_text="0 for no reminder; at most a week (10080).",
                validators=[
                    django.core.validators.MaxValueValidator(
                        10080, "A reminder can be at most a week (10080 minutes) before."
                    )
                ],
                verbose_name="reminder before (minutes)",
            ),
        ),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["event", "email"], name="booking_event_email"),
        ),
        migrations.RunPython(move_state_to_events, migrations.RunPython.noop),
    ]
