from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import task

from accounts.emails import deserialize_message


@task(retries=5, retry_delay=60)
def send_email(payload: dict[str, Any]) -> None:
    deserialize_message(payload).send()
