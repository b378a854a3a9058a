from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def generate_unique_username(self, txts: list[str | None], regex: str | None = None) -> str:
        # Generated usernames (Google sign-up) must pass our URL-safe validator: drop "+" too.
        return super().generate_unique_username(txts, regex or r"[^\w\s@.-]")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.name = data.get("name") or " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))
        return user
