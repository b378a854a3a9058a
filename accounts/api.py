"""The account's part of the REST API: who the token acts for, and the address book."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.api_base import Page, form_problem, owned, paginate
from accounts.forms import ContactForm, save_contact
from accounts.models import Contact

router = Router(tags=["Account and contacts"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    timezone: str
    token_can_write: bool


class ContactIn(Schema):
    first_name: str = Field(min_length=1, max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})


class ContactPatch(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, min_length=3, max_length=254, json_schema_extra={"format": "email"})


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    email: str
    created_at: datetime
    updated_at: datetime


def contact_data(contact: Contact) -> dict:
    return ContactOut.from_orm(contact).model_dump(mode="json")


@router.get("/me", response=MeOut, summary="The account this token acts for")
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "timezone": user.timezone,
        "token_can_write": request.auth.can_write,
    }


@router.get("/contacts", response=Page[ContactOut], summary="List contacts")
def list_contacts(request: HttpRequest, q: str = "", page: int = 1, per_page: int = 50):
    contacts = Contact.objects.for_owner(request.user)
    if q:
        contacts = contacts.search(q)
    return paginate(request, contacts, ContactOut.from_orm, page=page, per_page=per_page)


@router.post("/contacts", response={201: ContactOut}, summary="Add a contact")
def create_contact(request: HttpRequest, payload: ContactIn):
    return Status(201, _save(ContactForm(payload.dict(), owner=request.user)))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="Read a contact")
def read_contact(request: HttpRequest, contact_id: int):
    return owned(Contact.objects.for_owner(request.user), contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch):
    contact = owned(Contact.objects.for_owner(request.user), contact_id)
    data = {"first_name": contact.first_name, "last_name": contact.last_name, "email": contact.email}
    data.update(payload.dict(exclude_unset=True, exclude_none=True))
    return _save(ContactForm(data, instance=contact, owner=request.user))


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: int):
    owned(Contact.objects.for_owner(request.user), contact_id).delete()
    return Status(204, None)


def _save(form: ContactForm) -> Contact:
    contact = save_contact(form) if form.is_valid() else None
    if contact is None:
        raise form_problem(form)
    return contact
