from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.text import slugify

from accounts.models import Membership, Team, team_slug_validator
from accounts.teams import RESERVED_SLUGS, assignable_roles
from accounts.text import PlainTextForm

ROLE_HELP = (
    "Members see the team's booking links and host them. Admins also edit the links and the "
    "members. Owners also manage owners and can delete the team."
)


def slug_from(name: str) -> str:
    """ "Sales & Support" -> "sales-support": what the model's validator accepts, or ""."""
    return re.sub(r"[-_]+", "-", slugify(name)).strip("-")[: Team._meta.get_field("slug").max_length].strip("-")


class TeamForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug"]
        labels = {"name": "Team name", "slug": "Address"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slug = self.fields["slug"]
        slug.required = False
        slug.help_text = (
            f"It ends the team's public page address, e.g. {settings.SITE_URL}/team/sales-team/. Lowercase "
            "letters, digits and hyphens; leave it empty to make one from the name."
        )
        slug.widget.attrs.update(autocapitalize="none", spellcheck="false", placeholder="sales-team")

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if not slug:
            return ""  # made from the name in clean(), once the name is known to be good
        return self._checked(slug)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("slug") == "" and cleaned.get("name"):
            slug = slug_from(cleaned["name"])
            if not slug:
                self.add_error("slug", "Type an address for the team, e.g. “sales-team”.")
            else:
                try:
                    cleaned["slug"] = self._checked(slug)
                except forms.ValidationError as error:
                    self.add_error("slug", error)
        return cleaned

    def _checked(self, slug: str) -> str:
        team_slug_validator(slug)
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError("That address is reserved. Please choose another.")
        if Team.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(Team._meta.get_field("slug").error_messages["unique"])
        return slug


class RoleForm(forms.Form):
    """A role. Only the ones ``actor`` may give are offered; whether they may give the one sent is
    the workflow's rule (accounts/teams.py), so it is said in one place."""

    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        error_messages={
            "required": "Choose a role: Member, Admin or Owner.",
            "invalid_choice": "Choose a role: Member, Admin or Owner.",
        },
    )

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].widget.choices = assignable_roles(actor)


class InviteForm(PlainTextForm, RoleForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={"required": "Type the address to send the invitation to."},
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )

    field_order = ["email", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Membership.Role.MEMBER
        self.fields["role"].help_text = ROLE_HELP
