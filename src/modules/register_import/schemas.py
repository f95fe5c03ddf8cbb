"""Excel import of persons with their mandates: the result and its error report."""

from __future__ import annotations

import uuid

import msgspec

# Default: nothing is imported while any row is invalid; or only the valid rows are.
IMPORT_MODES = {"all": "全部无误才导入", "valid_only": "仅导入无误的行"}


class RowError(msgspec.Struct):
    row: int  # the row number as Excel shows it (the header is row 1)
    column: str  # the column's Chinese header, or "" for the whole row
    message: str
    name: str = ""  # the row's name, to find it again in the sheet


class ImportResult(msgspec.Struct):
    mode: str
    total_rows: int
    valid_rows: int
    imported_rows: int  # mandates created
    persons_created: int
    persons_matched: int  # mandates added to persons already in the register
    error_count: int
    errors: list[RowError]  # the first MAX_LISTED_ERRORS; the report holds them all
    error_report_id: uuid.UUID | None = None
    error_report_url: str | None = None
