

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0007_event_google_synced_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='cancel_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='event',
            name='cancelled_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='event',
            name='cancelled_by',
            field=models.CharField(blank=True, choices=[('owner', 'The organiser'), ('attendee', 'An attendee')], max_length=16),
        ),
    ]
