from django.urls import path

from accounts import calendars_views, google_views, token_views, unsubscribe, views, webhook_views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("delete/", views.delete_account, name="delete"),
    path("export/", views.export_data, name="export"),
    path("email-problems/dismiss/", views.dismiss_email_problems, name="dismiss_email_problems"),
]

urlpatterns += [
    path("google-calendar/", google_views.google_calendar, name="google"),
    path("google-calendar/connect/", google_views.google_connect, name="google_connect"),
    path("google-calendar/refresh/", google_views.google_refresh, name="google_refresh"),
    path("google-calendar/disconnect/", google_views.google_disconnect, name="google_disconnect"),
]

urlpatterns += [
    path("calendars/", calendars_views.calendars_page, name="calendars"),
    path("calendars/caldav/", calendars_views.caldav_connect, name="caldav_connect"),
    path("calendars/caldav/<int:pk>/busy/", calendars_views.caldav_busy, name="caldav_busy"),
    path("calendars/caldav/<int:pk>/refresh/", calendars_views.caldav_refresh, name="caldav_refresh"),
    path("calendars/caldav/<int:pk>/reconnect/", calendars_views.caldav_reconnect, name="caldav_reconnect"),
    path("calendars/caldav/<int:pk>/disconnect/", calendars_views.caldav_disconnect, name="caldav_disconnect"),
    path("calendars/ics/", calendars_views.ics_subscribe, name="ics_subscribe"),
    path("calendars/ics/<int:pk>/busy/", calendars_views.ics_toggle, name="ics_toggle"),
    path("calendars/ics/<int:pk>/refresh/", calendars_views.ics_refresh, name="ics_refresh"),
    path("calendars/ics/<int:pk>/remove/", calendars_views.ics_remove, name="ics_remove"),
]

urlpatterns += [
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
]

# One-click unsubscribe from a kind of email, by the signed link in it (no sign-in).
urlpatterns += [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]

# Profile → Webhooks (accounts/webhook_views.py).
urlpatterns += [
    path("webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/active/", webhook_views.webhook_active, name="webhook_active"),
    path("webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_pk>/", webhook_views.webhook_delivery, name="webhook_delivery"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
