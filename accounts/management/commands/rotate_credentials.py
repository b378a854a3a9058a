"""Re-encrypt the stored calendar passwords with the first key of CREDENTIALS_KEYS.

Rotation: put a new key first in CREDENTIALS_KEYS (keep the old one after it), restart, run this,
then remove the old key. ``--new-key`` prints a fresh key to start with.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts import credentials
from accounts.models import CalDAVAccount


class Command(BaseCommand):
    help = "Re-encrypt stored calendar passwords with the first key of CREDENTIALS_KEYS (or print a new key)."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="Print a new key for CREDENTIALS_KEYS and stop.")

    def handle(self, *args, new_key: bool = False, **options):
        if new_key:
            self.stdout.write(credentials.new_key())
            return
        rotated, unreadable = 0, []
        for account in CalDAVAccount.objects.only("pk", "password").iterator():
            try:
                token = credentials.rotate(account.password)
            except credentials.Unreadable:
                unreadable.append(account.pk)
                continue
            CalDAVAccount.objects.filter(pk=account.pk).update(password=token)
            rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} password{'s' if rotated != 1 else ''} with the first key.")
        if unreadable:
            self.stderr.write(
                f"{len(unreadable)} password(s) could not be read with any configured key (accounts "
                f"{', '.join(map(str, unreadable))}); their owners will be asked to reconnect."
            )
