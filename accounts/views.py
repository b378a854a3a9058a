from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts import calendars, google, teams
from accounts.dashboard import render_panels, setup_annotations, steps_left
from accounts.export import export_user_data
from accounts.forms import ContactForm, ContactSearchForm, DeleteAccountForm, ProfileForm, save_contact
from accounts.models import Contact, EmailProblem, GoogleCalendarConnection, User
from accounts.shortcuts import get_owned_or_404
from accounts.signals import deleting_account

CONTACTS_PER_PAGE = 50


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "accounts/landing.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # One statement for the counts, for whether there is anything to warn about, and for which
    # first steps a new owner has left; the rows behind a warning are read only when there is one.
    user = request.user
    setup = setup_annotations()
    summary = (
        User.objects.filter(pk=user.pk)
        .annotate(
            contact_count=Coalesce(
                Subquery(
                    Contact.objects.filter(owner=OuterRef("pk")).order_by().values("owner")
                    .annotate(count=Count("pk")).values("count")
                ),
                0,
            ),
            has_google=Exists(GoogleCalendarConnection.objects.filter(user=OuterRef("pk"))),
            has_problems=Exists(EmailProblem.objects.filter(user=OuterRef("pk"))),
            **setup,
        )
        .values("contact_count", "has_google", "has_problems", *setup)
        .get()
    )  # fmt: skip
    problems = EmailProblem.objects.filter(user=user)[: EMAIL_PROBLEMS_SHOWN + 1] if summary["has_problems"] else []
    context = {
        "now": timezone.now(),
        "contact_count": summary["contact_count"],
        "panels": render_panels(request),
        "google_connection": google.connection_for(user) if summary["has_google"] else None,
        "email_problems": list(problems),
        "email_problems_shown": EMAIL_PROBLEMS_SHOWN,
        "steps_left": steps_left(summary),
    }
    return render(request, "accounts/dashboard.html", context)


EMAIL_PROBLEMS_SHOWN = 5


@login_required
@require_POST
def dismiss_email_problems(request: HttpRequest) -> HttpResponse:
    EmailProblem.objects.filter(user=request.user).delete()
    messages.success(request, "Cleared the list of emails that could not be delivered.")
    return redirect("dashboard")


# --- Profile --------------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            form.add_error("username", "That username is taken. Please choose another.")
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    if request.method == "POST":
        request.user.refresh_from_db()
    context = {
        "form": form,
        "panels": render_panels(request, "profile"),
        "calendar_count": calendars.connection_count(request.user),
        "calendar_problem": calendars.needs_attention(request.user),
        "meeting_calendar": calendars.meeting_calendar(request.user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        connection = google.connection_for(user)
        revoke = google.revoker(connection) if connection is not None else None
        # Everything the account owns goes in one transaction (its links with their schedules);
        # only then is the visitor logged out and Google asked to forget the grant.
        with transaction.atomic():
            teams.hand_over_teams(user=user)
            deleting_account.send(sender=type(user), user=user)
            user.delete()
        logout(request)
        if revoke is not None:
            revoke()
        messages.success(request, "Your account and all of its data were deleted.")
        return redirect("landing")
    return render(request, "accounts/delete_account.html", {"form": form})


@login_required
@require_GET
def export_data(request: HttpRequest) -> HttpResponse:
    document = json.dumps(export_user_data(request.user), cls=DjangoJSONEncoder, indent=2)
    filename = f"convene-{request.user.username}-{timezone.now():%Y-%m-%d}.json"
    return HttpResponse(
        document,
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- Contacts -------------------------------------------------------------------------------


def _with_links(contacts) -> None:
    """Each contact's edit and delete links, for the list's rows: reversed once for the page,
    not twice a row in the template."""
    edit = reverse("contacts:edit", args=[0]).replace("/0/", "/{}/")
    delete = reverse("contacts:delete", args=[0]).replace("/0/", "/{}/")
    for contact in contacts:
        contact.edit_url, contact.delete_url = edit.format(contact.pk), delete.format(contact.pk)


def _contact_page(request: HttpRequest, form: ContactForm, status: int = 200) -> HttpResponse:
    search = ContactSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    contacts = Contact.objects.for_owner(request.user)
    if query:
        contacts = contacts.search(query)
    page = Paginator(contacts, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    _with_links(page.object_list)
    context = {
        "form": form,
        "search": search,
        "query": query,
        "page": page,
        # Without a search the page's own count is the total: one query, not two.
        "total": Contact.objects.for_owner(request.user).count() if query else page.paginator.count,
    }
    if request.htmx and request.htmx.target == "contact-list":
        return render(request, "contacts/contact_list.html#list", context, status=status)
    return render(request, "contacts/contact_list.html", context, status=status)


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    return _contact_page(request, ContactForm(owner=request.user))


@login_required
@require_POST
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST, owner=request.user)
    contact = save_contact(form) if form.is_valid() else None
    if contact is None:
        if request.htmx:
            return render(request, "contacts/contact_list.html#add-form", {"form": form})
        return _contact_page(request, form)
    messages.success(request, f"Added {contact.full_name} to your contacts.")
    if request.htmx:
        response = render(request, "contacts/contact_list.html#add-form", {"form": ContactForm(owner=request.user)})
        return trigger_client_event(response, "contactsChanged")
    return redirect("contacts:list")


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_owned_or_404(Contact, request.user, pk=pk)
    template = "contacts/contact_list.html#row" if request.htmx else "contacts/contact_detail.html"
    _with_links([contact])
    return render(request, template, {"contact": contact})


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_owned_or_404(Contact, request.user, pk=pk)
    # Its own ids: the inline edit form shares the page with the "add" form.
    form = ContactForm(request.POST or None, instance=contact, owner=request.user, auto_id=f"id_contact{pk}_%s")
    if request.method == "POST" and form.is_valid() and save_contact(form):
        messages.success(request, f"Saved {contact.full_name}.")
        if request.htmx:
            _with_links([contact])
            return render(request, "contacts/contact_list.html#row", {"contact": contact})
        return redirect("contacts:list")
    if request.method == "POST":
        contact.refresh_from_db()
    template = "contacts/contact_list.html#edit-row" if request.htmx else "contacts/contact_form.html"
    return render(request, template, {"contact": contact, "form": form})


@login_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_owned_or_404(Contact, request.user, pk=pk)
    if request.method == "POST":
        contact.delete()
        messages.success(request, f"Deleted {contact.full_name}.")
        if request.htmx:
            return trigger_client_event(HttpResponse(""), "contactsChanged")
        return redirect("contacts:list")
    return render(request, "contacts/contact_confirm_delete.html", {"contact": contact})
