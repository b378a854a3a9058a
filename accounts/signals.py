"""Finish "Connect Google Calendar" once allauth has stored the new token; tell the apps above
accounts that an account is about to be deleted."""

from __future__ import annotations

from allauth.socialaccount.signals import pre_social_login, social_account_added
from django.contrib import messages
from django.dispatch import Signal

from accounts import google

# Sent with ``user`` inside the deletion's transaction, before anything is deleted: apps that
# depend on accounts keep what must outlive the account (a team's links) or tidy up.
deleting_account = Signal()


def _calendar_connected(sender, request, sociallogin, **kwargs) -> None:
    if sociallogin.state.get("data") != google.CONNECT_STATE or sociallogin.account.provider != google.PROVIDER:
        return
    # A Google account already linked to this user has its token stored during allauth's lookup
    # (pre_social_login); a newly linked one once it is saved (social_account_added). One linked to
    # somebody else is refused by allauth and must not be connected here.
    if sociallogin.account.pk is None or not request.user.is_authenticated or sociallogin.user != request.user:
        return
    if google.connect_from_login(request.user, sociallogin.account) is None:
        messages.error(
            request,
            "Google did not allow offline access, so Convene cannot check your calendar while you are away. "
            "Please connect again and allow access.",
        )


def connect() -> None:
    pre_social_login.connect(_calendar_connected, dispatch_uid="google-calendar-connect-existing")
    social_account_added.connect(_calendar_connected, dispatch_uid="google-calendar-connect-new")
