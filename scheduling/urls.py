from django.urls import include, path

from scheduling import calendar_views as views_calendar
from scheduling import finalize_views, lifecycle_views, participant_views, views

app_name = "scheduling"

urlpatterns = [
    path("polls/", views.poll_list, name="poll_list"),
    path("polls/new/", views.poll_create, name="poll_create"),
    path("polls/<int:pk>/", views.poll_detail, name="poll_detail"),
    path("polls/<int:pk>/edit/", views.poll_edit, name="poll_edit"),
    path("polls/<int:pk>/close/", views.poll_close, name="poll_close"),
    path("polls/<int:pk>/delete/", views.poll_delete, name="poll_delete"),
    path("polls/<int:pk>/reopen/", lifecycle_views.poll_reopen, name="poll_reopen"),
    path("polls/<int:pk>/unfinalize/", lifecycle_views.poll_unfinalize, name="poll_unfinalize"),
    path("polls/<int:pk>/duplicate/", lifecycle_views.poll_duplicate, name="poll_duplicate"),
    path("polls/<int:pk>/answers.csv", lifecycle_views.poll_export, name="poll_export"),
    path("polls/<int:pk>/availability/", views.save_owner_grid, name="save_owner_grid"),
    path("polls/<int:pk>/fill/", views.fill_from_calendar, name="poll_fill"),
    path("polls/<int:pk>/status/", views.poll_status, name="poll_status"),
    path("polls/<int:pk>/who/", views.poll_who, name="poll_who"),
    path("polls/<int:pk>/invite/", views.poll_invite, name="poll_invite"),
    path("polls/<int:pk>/finalize/", finalize_views.poll_finalize, name="poll_finalize"),
    path("polls/<int:pk>/remind/", views.remind_all, name="remind_all"),
    path("polls/<int:pk>/invitations/<int:invitation_pk>/remind/", views.remind_one, name="remind_one"),
    path("polls/<int:pk>/invitations/<int:invitation_pk>/remove/", views.remove_invitee, name="remove_invitee"),
    path("polls/<int:pk>/share/", participant_views.share_settings, name="poll_share"),
    path("polls/<int:pk>/share/new/", participant_views.share_regenerate, name="poll_share_regenerate"),
    path("polls/<int:pk>/comments/", participant_views.owner_comment, name="poll_comment"),
    path(
        "polls/<int:pk>/comments/<int:comment_pk>/delete/",
        participant_views.owner_comment_delete,
        name="poll_comment_delete",
    ),
    # The calendar.
    path("calendar/", views_calendar.calendar_page, name="calendar"),
    path("calendar/<str:view>/", views_calendar.calendar_page, name="calendar_view"),
    path("calendar/events/new/", views_calendar.event_create, name="event_create"),
    path("calendar/events/<int:pk>/", views_calendar.event_detail, name="event_detail"),
    path("calendar/events/<int:pk>/edit/", views_calendar.event_edit, name="event_edit"),
    path("calendar/events/<int:pk>/delete/", views_calendar.event_delete, name="event_delete"),
    path("calendar/events/<int:pk>/event.ics", views_calendar.event_ics, name="event_ics"),
    path("calendar/events/<int:pk>/proposals/<int:proposal_pk>/", views_calendar.proposal_decide, name="proposal"),
    path("calendar/feed/new/", views_calendar.feed_regenerate, name="feed_regenerate"),
    path("calendar/feed/<str:token>.ics", views_calendar.feed, name="feed"),
    path("rsvp/<str:token>/", views_calendar.rsvp, name="rsvp"),
    # Polls of options: the owner's choices, the answers (scheduling/option_urls.py).
    path("", include("scheduling.option_urls")),
    # A poll's shareable link.
    path("p/join/<str:share_token>/", participant_views.join, name="poll_join"),
    # An invitee's personal link.
    path("p/<str:token>/", views.respond, name="respond"),
    path("p/<str:token>/availability/", views.save_invitee_grid, name="save_invitee_grid"),
    path("p/<str:token>/decline/", views.decline, name="decline"),
    path("p/<str:token>/undo-decline/", views.undo_decline, name="undo_decline"),
    path("p/<str:token>/comments/", participant_views.participant_comment, name="participant_comment"),
    path(
        "p/<str:token>/comments/<int:comment_pk>/delete/",
        participant_views.participant_comment_delete,
        name="participant_comment_delete",
    ),
    path("p/<str:token>/who/", participant_views.participant_who, name="participant_who"),
]
