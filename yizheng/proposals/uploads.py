"""Proposal attachments: the upload checks are the platform's (`yizheng.core.uploads`); the download response
carries the attachment's original name and checked content type."""

from __future__ import annotations

from django.http import FileResponse

from yizheng.core.uploads import ALLOWED, MAX_BYTES, check_upload, download_response

__all__ = ["ALLOWED", "MAX_BYTES", "attachment_response", "check_upload"]


def attachment_response(attachment) -> FileResponse:
    return download_response(attachment.file, attachment.original_name, attachment.content_type)
