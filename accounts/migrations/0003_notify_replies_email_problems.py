

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_google_calendar_connection'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='notify_replies',
            field=models.BooleanField(default=True, help_text='A short note each time an attendee says yes, no or maybe to one of your meetings.', verbose_name='Email me when someone answers an invitation'),
        ),
        migrations.CreateModel(
            name='EmailProblem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.CharField(max_length=1000)),
                ('subject', models.CharField(max_length=300)),
                ('error', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='email_problems', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
    ]
