from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("polls/", views.poll_list, name="poll_list"),
    path("polls/new/", views.poll_create, name="poll_create"),
    path("polls/<int:pk>/", views.poll_detail, name="poll_detail"),
    path("polls/<int:pk>/edit/", views.poll_edit, name="poll_edit"),
    path("polls/<int:pk>/close/", views.poll_close, name="poll_close"),
    path("polls/<int:pk>/delete/", views.poll_delete, name="poll_delete"),
    path("polls/<int:pk>/availability/", views.save_owner_grid, name="save_owner_grid"),
    path("polls/<int:pk>/status/", views.poll_status, name="poll_status"),
    path("polls/<int:pk>/who/", views.poll_who, name="poll_who"),
    path("polls/<int:pk>/invite/", views.poll_invite, name="poll_invite"),
    path("polls/<int:pk>/finalize/", views.poll_finalize, name="poll_finalize"),
    path("polls/<int:pk>/remind/", views.remind_all, name="remind_all"),
    path("polls/<int:pk>/invitations/<int:invitation_pk>/remind/", views.remind_one, name="remind_one"),
    path("polls/<int:pk>/invitations/<int:invitation_pk>/remove/", views.remove_invitee, name="remove_invitee"),
    # An invitee's personal link.
    path("p/<str:token>/", views.respond, name="respond"),
    path("p/<str:token>/availability/", views.save_invitee_grid, name="save_invitee_grid"),
    path("p/<str:token>/decline/", views.decline, name="decline"),
    path("p/<str:token>/undo-decline/", views.undo_decline, name="undo_decline"),
]
