from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.shortcuts import get_object_or_404

from accounts.models import User

M = TypeVar("M", bound=models.Model)


def get_owned_or_404(model: type[M] | models.QuerySet[M], owner: User, *, owner_field: str = "owner", **lookup) -> M:
    """The one way to fetch an owner-scoped object: another user's id is a 404, never data.
    ``owner_field`` names the path to the owning user (``host``, ``schedule__owner``)."""
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    return get_object_or_404(queryset.filter(**{owner_field: owner}), **lookup)
