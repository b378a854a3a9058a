from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from project import views
from project.api import api

handler500 = "project.request_id.server_error"

urlpatterns = [
    path("", account_views.landing, name="landing"),
    path("dashboard/", account_views.dashboard, name="dashboard"),
    path("profile/", include("accounts.urls")),
    path("contacts/", include("accounts.contact_urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("scheduling.urls")),
    path("admin/", admin.site.urls),
    # Providers' webhooks (inbound email: answers to invitations, scheduling/inbound.py).
    path("anymail/", include("anymail.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("teams/", include("accounts.team_urls")),
    # Last: it ends with the public /<username>/ pages.
    path("", include("booking.urls")),
]
