"""Who hosts a round-robin booking: the fair rule, and the counts it reads.

The rule (``pick``), among the pool hosts free at the chosen time:

1. fewest meetings from this link in the last ``WINDOW`` (30 days, by when they were booked),
   divided by the host's ``weight`` (default 100; a host at 200 takes twice the share of one at
   100), so that over time each host's share follows their weight;
2. then the higher ``priority`` (high, medium, low): equal shares go to the preferred host first;
3. then the host booked least recently from this link (never booked comes first);
4. then the lowest user id, so the answer never depends on the order rows come back in.

With equal weights and equal availability, rule 1 alone keeps every host's count within one of
the others'. Cancelled meetings do not count. Fixed hosts are in every meeting and are not picked.

``pick`` is pure; ``standings`` reads the counts in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from django.db.models import Count, Max

WINDOW = timedelta(days=30)
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Standing:
    """A pool host as the rule sees them."""

    host: int  # user id
    meetings: int  # from this link in the window
    weight: int = 100
    priority: int = 1
    last_booked: datetime | None = None


def order(candidates: Iterable[Standing]) -> list[Standing]:
    """The candidates, the one the rule picks first."""
    return sorted(
        candidates,
        key=lambda found: (
            Fraction(found.meetings, max(1, found.weight)),
            -found.priority,
            found.last_booked or _NEVER,
            found.host,
        ),
    )


def pick(candidates: Iterable[Standing]) -> Standing:
    """The host the rule picks; ``candidates`` must not be empty."""
    ranked = order(candidates)
    if not ranked:
        raise ValueError("No host to pick from")
    return ranked[0]


def standings(link, hosts: Sequence[int], now: datetime) -> list[Standing]:
    """The pool ``hosts`` of the round-robin ``link`` (a BookingLink) with their meetings from
    it in the window and when each was last booked."""
    from booking.models import Booking

    rows = (
        Booking.objects.confirmed()
        .filter(event_type_id=link.id, created_at__gte=now - WINDOW, event__owner_id__in=hosts)
        .values("event__owner_id")
        .annotate(meetings=Count("id"), last=Max("created_at"))
    )
    counts = {row["event__owner_id"]: (row["meetings"], row["last"]) for row in rows}
    found = []
    for host in hosts:
        member = link.member(host)
        meetings, last = counts.get(host, (0, None))
        found.append(
            Standing(host=host, meetings=meetings, weight=member.weight, priority=member.priority, last_booked=last)
        )
    return found
