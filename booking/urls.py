from django.urls import path

from booking import public_views, team_views, views

app_name = "booking"

urlpatterns = [
    # The owner's pages.
    path("booking-links/", views.event_type_list, name="event_type_list"),
    path("booking-links/new/", views.event_type_create, name="event_type_create"),
    path("booking-links/<int:pk>/edit/", views.event_type_edit, name="event_type_edit"),
    path("booking-links/<int:pk>/toggle/", views.event_type_toggle, name="event_type_toggle"),
    path("booking-links/<int:pk>/delete/", views.event_type_delete, name="event_type_delete"),
    path("booking-links/schedules/", views.schedule_list, name="schedule_list"),
    path("booking-links/schedules/new/", views.schedule_create, name="schedule_create"),
    path("booking-links/schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("booking-links/schedules/<int:pk>/default/", views.schedule_make_default, name="schedule_make_default"),
    path("booking-links/schedules/<int:pk>/delete/", views.schedule_delete, name="schedule_delete"),
    path("booking-links/schedules/<int:pk>/overrides/", views.override_add, name="override_add"),
    path(
        "booking-links/schedules/<int:pk>/overrides/<int:override_pk>/delete/",
        views.override_delete,
        name="override_delete",
    ),
    path("booking-links/bookings/", views.booking_list, name="booking_list"),
    path("booking-links/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    # A booker's links from the confirmation email.
    path("booking/<str:token>/", public_views.manage, name="manage"),
    path("booking/<str:token>/meeting.ics", public_views.booking_ics, name="ics"),
    path("booking/<str:token>/cancel/", public_views.cancel, name="cancel"),
    path("booking/<str:token>/reschedule/", public_views.reschedule, name="reschedule"),
    # A team's links, for its members (accounts/team_urls.py has the team itself).
    path("teams/<slug:team>/links/", team_views.link_list, name="team_links"),
    path("teams/<slug:team>/links/new/", team_views.link_create, name="team_link_create"),
    path("teams/<slug:team>/links/<int:pk>/edit/", team_views.link_edit, name="team_link_edit"),
    path("teams/<slug:team>/links/<int:pk>/delete/", team_views.link_delete, name="team_link_delete"),
    path("teams/<slug:team>/bookings/", team_views.booking_list, name="team_bookings"),
    path("teams/<slug:team>/bookings/<int:pk>/reassign/", team_views.reassign, name="team_reassign"),
    # A team's public pages: /team/<slug>/ ("team" is therefore no username).
    path("team/<slug:team>/", public_views.team_page, name="team_page"),
    path("team/<slug:team>/<slug:slug>/", public_views.team_event_type_page, name="team_event_type"),
    path("team/<slug:team>/<slug:slug>/book/", public_views.team_book, name="team_book"),
    # Public booking pages: /<username>/ and /<username>/<slug>/ (usernames avoid every prefix above).
    path("<str:username>/", public_views.profile, name="public_profile"),
    path("<str:username>/<slug:slug>/", public_views.event_type_page, name="public_event_type"),
    path("<str:username>/<slug:slug>/book/", public_views.book, name="book"),
]
