"""URLs of polls that ask "which of these times?" (scheduling/options.py)."""

from __future__ import annotations

from django.urls import path

from scheduling import option_views

urlpatterns = [
    path("polls/<int:pk>/options/", option_views.poll_options, name="poll_options"),
    path("polls/<int:pk>/options/answers/", option_views.owner_answers, name="owner_option_answers"),
    # A participant's answers, by their personal link.
    path("p/<str:token>/options/", option_views.participant_answers, name="option_answers"),
]
