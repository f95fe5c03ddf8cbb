"""Reading the staff pages' HTML forms: fields as trimmed text, and a form turned into the same
request struct the API takes, so both paths share one validation.

A form with several bad fields is refused once with every field's message (`InvalidFields`), and the
page shows each beside its field (`renda.web.form_errors`), so a clerk corrects it in one go."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from renda.core.errors import InvalidFields, InvalidInput

Form = dict[str, Any]
S = TypeVar("S")
PAGE_FIELDS = frozenset({"_csrf", "_form"})  # what every form of a page sends besides its own fields


def form_value(form: Form, key: str) -> str | None:
    """A text field, trimmed; None when empty. Of a repeated field the last one wins (a hidden
    default before a checkbox); an uploaded file is not text."""
    value = form.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    text = str(value).strip() if value is not None and not isinstance(value, UploadFile) else ""
    return text or None


def form_values(form: Form, key: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes, multiple selects)."""
    value = form.get(key)
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def form_fields(form: Form, *keys: str, skip_empty: bool = False) -> dict[str, Any]:
    """The listed fields the form sent; an empty one means "none", or is left out with `skip_empty`."""
    found = {key: form_value(form, key) for key in keys if key in form}
    return {k: v for k, v in found.items() if v is not None} if skip_empty else found


def form_struct(data: Mapping[str, Any], kind: type[S], labels: Mapping[str, str]) -> S:
    """Convert form fields (text) into `kind`; every bad field is named by its Chinese label."""
    return convert_form(data, kind, labels)


def convert_form(data: Mapping[str, Any], kind: type[S], labels: Mapping[str, str]) -> S:
    """`msgspec.convert` that, when the form is refused, says what is wrong with each field at once
    (msgspec stops at the first): every field is checked alone against its own annotation, then the
    whole struct (its cross-field checks) once each field passes. The page's own hidden fields (the CSRF
    token, the form's name) are not the struct's."""
    data = {key: value for key, value in data.items() if key not in PAGE_FIELDS}
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        problems = field_problems(data, kind, labels)
        if not problems:  # a check across fields, or an unknown field: the one message, on its field if named
            field = None if "unknown field" in str(exc) else _error_field(str(exc))
            problems = {field or "": explain(str(exc), labels.get(field, field) if field else None)}
        raise InvalidFields(problems) from None


def field_problems(data: Mapping[str, Any], kind: type[Any], labels: Mapping[str, str]) -> dict[str, str]:
    """Each field of `kind` that `data` gets wrong, in the struct's order, with a message in Chinese."""
    problems: dict[str, str] = {}
    for field in msgspec.structs.fields(kind):
        label = labels.get(field.name, field.name)
        if field.encode_name not in data:
            if field.required:
                problems[field.name] = f"请填写“{label}”"
            continue
        try:
            msgspec.convert({"v": data[field.encode_name]}, _one_field(kind, field.name), strict=False)
        except msgspec.ValidationError as exc:
            problems[field.name] = explain(str(exc), label)
    return problems


@cache
def _one_field(kind: type[Any], name: str) -> type[msgspec.Struct]:
    """A struct of one field `v` with the annotation (and constraints) of `kind`'s field `name`."""
    annotation = typing.get_type_hints(kind, include_extras=True)[name]
    return msgspec.defstruct(f"{kind.__name__}_{name}", [("v", annotation)])


def _error_field(text: str) -> str | None:
    found = re.search(r"\$\.(\w+)", text) or re.search(r"field `(\w+)`", text)
    return found.group(1) if found else None


def explain(text: str, label: str | None) -> str:
    """msgspec's English reason as a clerk reads it."""
    if label is None:
        return "表单填写不正确,请检查后再提交"
    if "missing required field" in text or "length >= 1" in text or "got `null`" in text:
        return f"请填写“{label}”"
    longest = re.search(r"length <= (\d+)", text)
    if longest:
        return f"“{label}”不能超过 {longest.group(1)} 个字"
    if "date" in text.lower() and ("Expected `date`" in text or "RFC3339" in text):
        return f"“{label}”应为日期,如 2026-03-10"
    if "uuid" in text.lower():
        return f"请从列表中选择“{label}”"
    if "Invalid enum value" in text or "Expected `bool`" in text:
        return f"“{label}”的选项无效,请从列表中选择"
    bound = re.search(r"Expected `(?:int|float)` ([<>]=?) (-?[\d.]+)", text)
    if bound:
        return f"“{label}”{'不能小于' if bound.group(1).startswith('>') else '不能大于'} {bound.group(2)}"
    if "Expected `int`" in text or "Expected `float`" in text:
        return f"“{label}”应为数字"
    if "unknown field" in text:
        return "表单含有无法识别的内容,请刷新页面后再填写"
    return f"“{label}”填写不正确"


def parse_days(text: str | None, message: str) -> list[int]:
    """ "10,20,30", "10、20、30" or "10 20 30" → [10, 20, 30]; the schema checks the range."""
    parts = [p for p in re.split(r"[,,、;;\s]+", text or "") if p]
    if not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise InvalidInput(message, code="validation_error")
    return [int(p) for p in parts]


async def uploaded_file(request: Request, field: str, missing: InvalidInput) -> UploadFile:
    """A file of a multipart form, read in the handler rather than declared as `data`: Litestar reads a
    declared body before the dependencies run, and the row the path addresses must answer 404 first."""
    upload = (await request.form()).get(field)
    if not isinstance(upload, UploadFile):
        raise missing
    return upload
