"""What an uploaded file may be: photos, PDF and Office documents, proved by their first bytes (an
extension alone is a claim), and at most 10 MB. Suggestions' attachments and duty evidence use it; a
refused file is refused before anything is stored."""

from __future__ import annotations

import posixpath

from renda.core.errors import InvalidInput, TooLarge

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)
MAX_NAME = 200

# Extension → (stored content type, what the bytes must start with).
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
_ZIP = (b"PK\x03\x04",)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "pdf": ("application/pdf", (b"%PDF-",)),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "ppt": ("application/vnd.ms-powerpoint", _OLE),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "wps": ("application/vnd.ms-works", _OLE),  # WPS 文字, common in offices
}
ALLOWED_LABEL = "图片(JPG、PNG、GIF)、PDF 或 Office 文档(Word、Excel、PowerPoint、WPS)"
# For a file input's `accept`: what the phone's picker offers.
ACCEPT = ",".join(f".{extension}" for extension in ALLOWED_TYPES)


def clean_filename(filename: str | None) -> str:
    """The last part of the name the browser sent, printable characters only, at most 200 of them."""
    name = posixpath.basename((filename or "").replace("\\", "/")).strip()
    return "".join(ch for ch in name if ch.isprintable())[-MAX_NAME:]


def checked_file(filename: str | None, content: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[str, str]:
    """A clean file name and the content type the bytes prove. 413 `attachment_too_large` over the size;
    400 `attachment_type` for a type not allowed or bytes that are not what the extension says."""
    name = clean_filename(filename)
    if not name:
        raise InvalidInput("请选择要上传的文件", code="file_required")
    if len(content) > max_bytes:
        raise TooLarge(
            f"附件“{name}”超过 {max_bytes // (1024 * 1024)} MB,请压缩后再上传",
            code="attachment_too_large",
            details={"filename": name, "max_bytes": max_bytes},
        )
    if not content:
        raise InvalidInput(f"附件“{name}”是空文件", code="empty_file", details={"filename": name})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise InvalidInput(
            f"“{name}”:不支持该文件类型,请上传{ALLOWED_LABEL}",
            code="attachment_type",
            details={"filename": name, "allowed": list(ALLOWED_TYPES)},
        )
    content_type, magic = ALLOWED_TYPES[extension]
    if not content.startswith(magic):
        raise InvalidInput(
            f"文件“{name}”的内容与扩展名“.{extension}”不符,请检查文件",
            code="attachment_type",
            details={"filename": name, "allowed": list(ALLOWED_TYPES)},
        )
    return name, content_type
