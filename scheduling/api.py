"""Polls and calendar events in the REST API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Polls and calendar"])
