"""Booking links, schedules, free slots and bookings in the REST API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Booking links and bookings"])
