from django.urls import path

from accounts import team_views

app_name = "teams"

urlpatterns = [
    path("", team_views.team_list, name="list"),
    path("new/", team_views.team_create, name="create"),
    path("join/<str:token>/", team_views.team_accept, name="accept"),
    path("<str:slug>/", team_views.team_detail, name="detail"),
    path("<str:slug>/invite/", team_views.team_invite, name="invite"),
    path("<str:slug>/members/<int:pk>/role/", team_views.member_role, name="member_role"),
    path("<str:slug>/members/<int:pk>/remove/", team_views.member_remove, name="member_remove"),
    path("<str:slug>/invitations/<int:pk>/revoke/", team_views.invitation_revoke, name="invitation_revoke"),
    path("<str:slug>/leave/", team_views.team_leave, name="leave"),
    path("<str:slug>/delete/", team_views.team_delete, name="delete"),
]
