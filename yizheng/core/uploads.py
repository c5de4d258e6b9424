"""Uploaded files, for every app: the check on upload (extension AND content — magic bytes —, size limit) and the
download response (content type, the original name in Content-Disposition, nosniff)."""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from yizheng.core.errors import ApplicationError

MAX_BYTES = 20 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
# extension → (content type, leading bytes, member a zip must contain)
ALLOWED: dict[str, tuple[str, bytes, str | None]] = {
    "pdf": ("application/pdf", b"%PDF-", None),
    "doc": ("application/msword", OLE2, None),
    "xls": ("application/vnd.ms-excel", OLE2, None),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP, "word/"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP, "xl/"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff", None),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff", None),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n", None),
}


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, errors={"file": [message]})


def check_upload(upload) -> tuple[str, str, int]:
    """(original name, content type, size) of an acceptable upload; ApplicationError otherwise."""
    name = PurePath(getattr(upload, "name", "") or "").name[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise _refuse(_("只能上传 PDF、Word、Excel、JPG 或 PNG 文件"))
    size = upload.size
    if size > MAX_BYTES:
        raise _refuse(_("附件不能超过 20 MB"))
    if size == 0:
        raise _refuse(_("附件是空文件"))
    content_type, magic, zip_member = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    ok = head == magic
    if ok and zip_member:
        try:
            with zipfile.ZipFile(upload) as archive:
                ok = any(n.startswith(zip_member) for n in archive.namelist())
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
    if not ok:
        raise _refuse(_("文件内容与扩展名“.%(ext)s”不符") % {"ext": ext})
    return name, content_type, size


def download_response(field_file, filename: str, content_type: str = "") -> FileResponse:
    """A stored file as a download: the content type checked on upload, the original (Chinese) name in
    Content-Disposition (RFC 6266 with filename*=utf-8''…), never sniffed or cached by shared caches; 404 when
    the file is missing from storage."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
