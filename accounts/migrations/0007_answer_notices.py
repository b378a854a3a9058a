"""Answers and replies are told to the owner at once, in a daily digest, or not at all: the old
yes/no switch for meeting replies becomes the three-way choice (yes: at once; no: off)."""

from django.db import migrations, models


def from_switch(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(notify_replies=True).update(answer_notices="each")
    User.objects.filter(notify_replies=False).update(answer_notices="off")


def to_switch(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(answer_notices="off").update(notify_replies=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_caldav_and_ics")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="answer_notices",
            field=models.CharField(
                choices=[
                    ("each", "An email for each answer"),
                    ("digest", "One email a day with all the answers"),
                    ("off", "No emails about answers"),
                ],
                default="digest",
                help_text="Answers to your polls, comments, and replies to your meeting invitations. "
                "“Everyone has answered” comes at once unless these emails are off.",
                max_length=8,
                verbose_name="Tell me when people answer",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="digest_sent_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(from_switch, to_switch),
        migrations.RemoveField(model_name="user", name="notify_replies"),
    ]
