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

What was typed stays: `renda.web.actions.page_again` (and `refusal`, for a handler that renders its page
again itself) takes the request's submission along, and a field says `value="{{ kept("name", stored) }}"`,
`{{ checked("name", "1", stored) }}` or `{{ selected("name", option, stored) }}`: the submitted value in
the refused form, the stored one everywhere else and on a first visit. Files, passwords and tokens are
never kept.

A page of several forms names each in its CSRF field (`csrf_field("unit-" ~ u.id)`, or a module's
`m.csrf("…")`): a hidden `_form` the submission carries back, so the refusal knows its form, and every
helper above acts only inside the form whose name it carries. A form without a name (`csrf_field()`) is
the refused one only when the refusal names no form; a named one only when the refusal names it. (A
submission that names no form, from a page older than its names, still has its fields marked, the first
of each name, but keeps its values only in the page's unnamed forms.)

Ids are written only for refused fields, and each once per page, so two forms on a page with a field
of the same name never produce duplicate ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.datastructures import UploadFile
from markupsafe import Markup, escape

from renda.core.errors import AppError


class ErrorMessage(str):
    """An error's message that also knows which fields it is about (field name → message)."""

    fields: Mapping[str, str]
    form: str | None  # which of the page's forms was refused, where the page tells its forms apart
    submitted: Mapping[str, Any] | None  # what that form sent (files, passwords and tokens left out)
    shown: set[str]  # "attrs:name" and "message:name" already written on this page
    current: str | None  # the name of the form being written (its `csrf_field`), while the page renders

    def __new__(
        cls,
        message: str,
        fields: Mapping[str, str] | None = None,
        form: str | None = None,
        submitted: Mapping[str, Any] | None = None,
    ) -> ErrorMessage:
        text = super().__new__(cls, message)
        text.fields = dict(fields or {})
        text.submitted = _keepable(submitted) if submitted is not None else None
        text.form = form or form_name_of(submitted)
        text.shown = set()
        text.current = None
        return text


FORM_FIELD = "_form"  # the hidden field naming a form of a page of several
_NEVER_KEPT = ("password", "token", "secret")


def form_name_of(submitted: Mapping[str, Any] | None) -> str | None:
    """The name a submission carries (`csrf_field("name")`), if any."""
    value = (submitted or {}).get(FORM_FIELD)
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if isinstance(value, str) and value else None


def _keepable(submitted: Mapping[str, Any]) -> dict[str, Any]:
    """What may be written back into the page: no file, no password or token, no CSRF token."""
    kept: dict[str, Any] = {}
    for key, value in submitted.items():
        if key in ("_csrf", FORM_FIELD) or any(word in key.lower() for word in _NEVER_KEPT):
            continue
        values = value if isinstance(value, list) else [value]
        texts = [str(v) for v in values if v is not None and not isinstance(v, UploadFile)]
        if texts or not values:
            kept[key] = texts if isinstance(value, list) else texts[0]
    return kept


def error_message(
    error: AppError,
    fields_by_code: Mapping[str, str] | None = None,
    form: str | None = None,
    submitted: Mapping[str, Any] | None = None,
) -> ErrorMessage:
    """What a page passes as `error` when it shows a refused form again. A service's error that names no
    field is put on the form's field its code is about (`fields_by_code`), where the page knows it.
    `submitted` is what the form sent, so its fields keep it (`kept`, `checked`, `selected`) and, when
    the form is named (`csrf_field("name")`), only that form is marked; `form` names it otherwise."""
    fields = error.fields
    if not fields and fields_by_code and error.code in fields_by_code:
        fields = {fields_by_code[error.code]: error.message}
    return ErrorMessage(error.message, fields, form, submitted)


def _this_form(context: Context, form: str | None) -> str | None:
    """The form a helper is called in: the one it names, else the one whose `csrf_field` came last."""
    return form if form is not None else getattr(context.get("error"), "current", None)


def _is_refused(context: Context, form: str | None = None) -> bool:
    """Is the form being written (or `form`) the refused one? A named form is when the refusal names it,
    a form without a name when the refusal names none."""
    error = context.get("error")
    if not isinstance(error, ErrorMessage):
        return False
    return error.form == _this_form(context, form)


def _fields(context: Context, form: str | None = None) -> Mapping[str, str]:
    """The refused fields; none in a form of the page other than the refused one. A refusal that names no
    form (a submission without `_form`) marks the first field of each name, in whichever form."""
    error = context.get("error")
    if getattr(error, "form", None) is not None and not _is_refused(context, form):
        return {}
    return getattr(error, "fields", None) or {}


def _submitted(context: Context, form: str | None) -> Mapping[str, Any] | None:
    """What the refused form sent, when the form being written is that form; None otherwise."""
    if not _is_refused(context, form):
        return None
    return getattr(context.get("error"), "submitted", None)


@pass_context
def csrf_field(context: Context, form: str | None = None) -> Markup:
    """A form's CSRF token, and on a page of several forms, the form's name (sent back as `_form`).
    Every later field belongs to this form, for the helpers, until the next `csrf_field`."""
    error = context.get("error")
    if isinstance(error, ErrorMessage):
        error.current = form
    token = escape(context.get("csrf_token") or "")
    named = f'<input type="hidden" name="{FORM_FIELD}" value="{escape(form)}">' if form else ""
    return Markup(f'<input type="hidden" name="_csrf" value="{token}">{named}')


@pass_context
def kept(context: Context, name: str, stored: Any = "", form: str | None = None) -> Any:
    """A field's value: what was sent, in the refused form; `stored` everywhere else."""
    sent = _submitted(context, form)
    if sent is None or name not in sent:
        return stored
    value = sent[name]
    return (value[-1] if value else "") if isinstance(value, list) else value


@pass_context
def kept_all(context: Context, name: str, stored: Any = (), form: str | None = None) -> list[str]:
    """A repeated field's values (checkboxes, a multiple select): what was sent in the refused form (none
    when it sent none, as unticked boxes send nothing); `stored` everywhere else."""
    sent = _submitted(context, form)
    if sent is None:
        return list(stored or ())
    value = sent.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@pass_context
def checked(context: Context, name: str, option: Any = "1", stored: bool = False, form: str | None = None) -> Markup:
    """` checked` for a checkbox (or radio) ticked: as sent in the refused form, as `stored` elsewhere."""
    sent = _submitted(context, form)
    on = stored if sent is None else str(option) in kept_all(context, name, (), form)
    return Markup(" checked" if on else "")


@pass_context
def selected(context: Context, name: str, option: Any, stored: bool = False, form: str | None = None) -> Markup:
    """` selected` for an option chosen: as sent in the refused form, as `stored` elsewhere."""
    sent = _submitted(context, form)
    on = stored if sent is None or name not in sent else str(option) in kept_all(context, name, (), form)
    return Markup(" selected" if on else "")


@pass_context
def refused_form(context: Context, form: str) -> bool:
    """Is `form` the page's refused form (to open the `<details>` it sits in)?"""
    error = context.get("error")
    return isinstance(error, ErrorMessage) and error.form == form


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
    fields = getattr(error, "fields", None) or {}
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
    """Make the functions available to every template."""
    env.globals.update(
        invalid=invalid,
        invalid_group=invalid_group,
        field_error=field_error,
        error_summary=error_summary,
        csrf_field=csrf_field,
        kept=kept,
        kept_all=kept_all,
        checked=checked,
        selected=selected,
        refused_form=refused_form,
    )
