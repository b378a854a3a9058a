from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from huey.contrib.djhuey import task

from accounts.emails import deserialize_message


@task(retries=5, retry_delay=60)
def deliver_email(payload: dict[str, Any]) -> None:
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
    connection.send_messages([deserialize_message(payload)])
