from django.urls import path

from accounts import google_views, views

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
