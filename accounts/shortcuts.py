from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.shortcuts import get_object_or_404

from accounts.models import User

M = TypeVar("M", bound=models.Model)


def get_owned_or_404(model: type[M], owner: User, **lookup) -> M:
    """The one way to fetch an owner-scoped object: another user's id is a 404, never data."""
    return get_object_or_404(model._default_manager.filter(owner=owner), **lookup)
