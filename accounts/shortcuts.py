from __future__ import annotations

from typing import TypeVar

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Subquery
from django.shortcuts import get_object_or_404

from accounts.models import User

M = TypeVar("M", bound=models.Model)


def get_owned_or_404(model: type[M] | models.QuerySet[M], owner: User, *, owner_field: str = "owner", **lookup) -> M:
    """The one way to fetch an owner-scoped object: another user's id is a 404, never data.
    ``owner_field`` names the path to the owning user (``host``, ``schedule__owner``)."""
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    return get_object_or_404(queryset.filter(**{owner_field: owner}), **lookup)


class IdsFirstPaginator(Paginator):
    """Pages of a sorted queryset of wide, joined rows. The page's ids are picked from narrow rows
    (sorting for a deep page then carries only ids and sort keys, not every column of every row
    before it), and its rows are read by id, in the same statement."""

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=Subquery(ids)), number, self)
