from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404


class AccountAdapter(DefaultAccountAdapter):
    # Signing in lands on the dashboard, which says who is signed in: a "Successfully signed in"
    # banner only stacked on the ones that matter ("Confirmation email sent").
    QUIET_MESSAGES = frozenset({"account/messages/logged_in.txt"})

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        if message_template in self.QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def generate_unique_username(self, txts: list[str | None], regex: str | None = None) -> str:
        # Generated usernames (Google sign-up) must pass our URL-safe validator: drop "+" too.
        return super().generate_unique_username(txts, regex or r"[^\w\s@.-]")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.name = data.get("name") or " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))
        return user

    def get_app(self, request, provider, client_id=None):
        # Without GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, allauth's Google URLs still exist:
        # a clear 404 there, not a 500 (issue 21, item 8).
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("Sign-in with this provider is not set up on this server.") from None
