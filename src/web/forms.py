"""Reading the staff pages' HTML forms: fields as trimmed text, and a form turned into the same
request struct the API takes, so both paths share one validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from renda.core.errors import InvalidInput

Form = dict[str, Any]
S = TypeVar("S")


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
    """Convert form fields (text) into `kind`; a bad field is named by its Chinese label."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        found = re.search(r"\$\.(\w+)", str(exc))
        label = labels.get(found.group(1), found.group(1)) if found else None
        message = f"请检查“{label}”的填写" if label else "请完整填写表单"
        raise InvalidInput(message, code="validation_error") from exc


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
