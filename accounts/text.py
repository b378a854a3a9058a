"""Text from people, made safe for pages, emails and calendar files.

A name or a title is one line: a carriage return or line feed in it can split an email header
or a calendar line, and control characters or Unicode line separators (U+2028/2029) break strict
parsers. Single-line fields refuse them with a message; paragraphs (textareas) keep their line
breaks, normalised to LF, and lose other control characters.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# C0 controls (tab excepted), DEL, C1 NEL and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_LINE_BREAK = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

SINGLE_LINE_MESSAGE = "Use a single line, without line breaks or control characters."


def validate_single_line(value: str) -> None:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def paragraphs(value: str) -> str:
    """Line breaks as LF, other control characters dropped."""
    return _CONTROL_BUT_NEWLINE.sub("", _LINE_BREAK.sub("\n", value))


def one_line(value: str) -> str:
    """Any run of whitespace or control characters as one space: safe in an email header."""
    return " ".join(_CONTROL.sub(" ", value).split())


class PlainTextForm:
    """Form mixin: single-line text fields refuse control characters, textareas are normalised.

    Applied when the form is cleaned, so fields a form adds in its own ``__init__`` (a booking
    link's questions) are covered too. Put it first among the bases, so the form's own ``clean``
    sees normalised text.
    """

    def full_clean(self):
        self._paragraph_fields = []
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField):
                continue
            if isinstance(field.widget, forms.Textarea):
                self._paragraph_fields.append(name)
            elif validate_single_line not in field.validators:
                field.validators.append(validate_single_line)
        super().full_clean()

    def clean(self):
        cleaned = super().clean()
        for name in self._paragraph_fields:
            if isinstance(cleaned.get(name), str):
                cleaned[name] = paragraphs(cleaned[name])
        return cleaned


def as_label(text: str) -> SafeString:
    """Someone's text (a booking question, a member's name) as a form field's label or help text.

    crispy-tailwind writes labels and help texts with ``|safe``: they are trusted as HTML. A text
    that came from a person is escaped here once and marked safe, so it shows as text wherever the
    form is rendered, by crispy or by Django.
    """
    return mark_safe(escape(text))  # escaped just now
