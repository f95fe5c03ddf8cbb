"""A refused form shown again with every problem beside its field.

A page handler passes the refusal as `error=error_message(error)`: a string (the message it always was,
so `{{ error }}` still reads) that also carries each field's message. The templates then call three
functions, with no import:

- `error_summary()` where the old `{% if error %}` notice was: the message, and when fields are named,
  a list of links to them (`role="alert"`, so a screen reader announces it);
- `invalid("name")` inside a field's tag: `id`, `aria-invalid="true"` and `aria-describedby` when that
  field was refused, nothing otherwise;
- `field_error("name")` after the field: the message, with the id `aria-describedby` points at;
- `invalid_group("name")` inside a `<fieldset>` of checkboxes: its id and message (no `aria-invalid`).

Ids are written only for refused fields, and each once per page, so two forms on a page with a field
of the same name never produce duplicate ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from renda.core.errors import AppError


class ErrorMessage(str):
    """An error's message that also knows which fields it is about (field name → message)."""

    fields: Mapping[str, str]
    form: str | None  # which of the page's forms was refused, where the page tells its forms apart
    shown: set[str]  # "attrs:name" and "message:name" already written on this page

    def __new__(cls, message: str, fields: Mapping[str, str] | None = None, form: str | None = None) -> ErrorMessage:
        text = super().__new__(cls, message)
        text.fields = dict(fields or {})
        text.form = form
        text.shown = set()
        return text


def error_message(
    error: AppError, fields_by_code: Mapping[str, str] | None = None, form: str | None = None
) -> ErrorMessage:
    """What a page passes as `error` when it shows a refused form again. A service's error that names no
    field is put on the form's field its code is about (`fields_by_code`), where the page knows it.
    `form` names the refused form on a page of several with the same field names (the template says
    `invalid("name", "that form")`)."""
    fields = error.fields
    if not fields and fields_by_code and error.code in fields_by_code:
        fields = {fields_by_code[error.code]: error.message}
    return ErrorMessage(error.message, fields, form)


def _fields(context: Context, form: str | None = None) -> Mapping[str, str]:
    """The refused fields; none for a form of the page other than the refused one, when both are named."""
    error = context.get("error")
    refused = getattr(error, "form", None)
    if form is not None and refused is not None and form != refused:
        return {}
    return getattr(error, "fields", None) or {}


def _first_time(context: Context, what: str) -> bool:
    """True the first time `what` is written on this page (the same name in a second form is not marked)."""
    shown = getattr(context.get("error"), "shown", None)
    if shown is None or what in shown:
        return shown is None
    shown.add(what)
    return True


def _field_id(name: str) -> str:
    return "f-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _refused_id(context: Context, name: str, form: str | None) -> str | None:
    """The `id` of a refused field, the first time the page asks for it; None otherwise."""
    if name not in _fields(context, form) or not _first_time(context, f"attrs:{name}"):
        return None
    return _field_id(name)


@pass_context
def invalid(context: Context, name: str, form: str | None = None) -> Markup:
    """The attributes of a refused field (an `id` for the summary's link, its state, its message)."""
    field_id = _refused_id(context, name, form)
    if field_id is None:
        return Markup("")
    return Markup(f' id="{field_id}" aria-invalid="true" aria-describedby="{field_id}-error"')


@pass_context
def invalid_group(context: Context, name: str, form: str | None = None) -> Markup:
    """A refused group of checkboxes (a fieldset): its `id` and message; `aria-invalid` belongs to fields."""
    field_id = _refused_id(context, name, form)
    if field_id is None:
        return Markup("")
    return Markup(f' id="{field_id}" aria-describedby="{field_id}-error" tabindex="-1"')


@pass_context
def field_error(context: Context, name: str, form: str | None = None) -> Markup:
    """The message beside a refused field."""
    message = _fields(context, form).get(name)
    if message is None or not _first_time(context, f"message:{name}"):
        return Markup("")
    return Markup(f'<span class="field-error" id="{_field_id(name)}-error">{escape(message)}</span>')


@pass_context
def error_summary(context: Context) -> Markup:
    """Above the form: the reason (first, so it is what is announced), and when fields are named, each
    problem linked to its field."""
    error = context.get("error")
    if not error:
        return Markup("")
    fields = _fields(context)
    if not fields:
        return Markup(f'<p class="notice error" role="alert">{escape(error)}</p>')
    if len(fields) == 1:
        ((name, message),) = fields.items()
        link = f' <a href="#{_field_id(name)}">去修改</a>' if name else ""
        body = f"{escape(message)}{link}"
    else:
        items = "".join(
            f'<li><a href="#{_field_id(name)}">{escape(message)}</a></li>' if name else f"<li>{escape(message)}</li>"
            for name, message in fields.items()
        )
        body = f"有 {len(fields)} 处填写需要修改:<ul>{items}</ul>"
    return Markup(f'<div class="notice error error-summary" id="error-summary" tabindex="-1" role="alert">{body}</div>')


def install(env: Any) -> None:
    """Make the three functions available to every template."""
    env.globals.update(
        invalid=invalid, invalid_group=invalid_group, field_error=field_error, error_summary=error_summary
    )
