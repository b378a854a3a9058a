from __future__ import annotations

from typing import Any

from accounts.export import export_section, fields


@export_section("calendar_events")
def _events(user) -> list[dict[str, Any]]:
    """Every meeting the user organises with its repeat rule, reminders, attendees and the times
    attendees proposed."""
    return [
        {
            **fields(event),
            "series": event.series_id,
            "poll": event.poll_id,
            "id": event.pk,
            "attendees": [
                {**fields(attendee), "proposals": [fields(proposal) for proposal in attendee.proposals.all()]}
                for attendee in event.attendees.all()
            ],
        }
        for event in user.events.prefetch_related("attendees__proposals")
    ]


@export_section("polls")
def _polls(user) -> list[dict[str, Any]]:
    """Every poll with its settings, everyone's answers (painted times or answers to options),
    decline notes and comments."""

    def spans(poll, invitation_id):
        return [fields(span) for span in poll.spans.all() if span.invitation_id == invitation_id]

    def answers(poll, invitation_id):
        return [
            {**fields(answer), "option": answer.option_id}
            for option in poll.options.all()
            for answer in option.answers.all()
            if answer.invitation_id == invitation_id
        ]

    return [
        {
            **fields(poll),
            "options": [{**fields(option), "id": option.pk} for option in poll.options.all()],
            "my_availability": spans(poll, None),
            "my_answers": answers(poll, None),
            "invitees": [
                {
                    **fields(invitation),
                    "availability": spans(poll, invitation.pk),
                    "answers": answers(poll, invitation.pk),
                }
                for invitation in poll.invitations.all()
            ],
            "comments": [fields(comment) for comment in poll.comments.all()],
        }
        for poll in user.polls.prefetch_related("spans", "invitations", "options__answers", "comments")
    ]
