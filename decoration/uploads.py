"""Drawings and photos of decoration permits: checked by their content, size-capped.

Drawings (DEC-01) may be PDF, JPEG or PNG. The file name and the browser's
content type are the client's word, so neither is trusted: a PDF must start
with the ``%PDF-`` signature and end with an ``%%EOF`` marker; images are read
by Pillow through the complaints module's photo check (the same rules for
every photo in the product). Files are stored under generated names and only
ever served as attachments.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from complaints.uploads import clean_name, photo_check

MAX_DRAWING_BYTES = 10 * 1024 * 1024
MAX_DRAWINGS_PER_ROUND = 6  # × 10 MB: within the 64 MB request cap (settings)
DRAWING_ACCEPT = "application/pdf,image/jpeg,image/png"
# How far from the end a PDF's last %%EOF may sit (trailing whitespace or an
# incremental-update tail some scanners append).
EOF_WINDOW = 2048


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def _is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(5)
    size = upload.size or 0
    upload.seek(max(0, size - EOF_WINDOW))
    tail = upload.read()
    upload.seek(0)
    return head == b"%PDF-" and b"%%EOF" in tail


def drawing_check(upload: UploadedFile, *, field: str = "drawings") -> CheckedFile:
    """Return the drawing's safe name, real type and size, or raise ``{field: ...}``."""
    shown = clean_name(upload.name)
    size = upload.size or 0
    if size > MAX_DRAWING_BYTES:
        raise ValidationError(
            {
                field: _("“%(name)s”有 %(size)s，超过每份图纸 %(max)s 的上限。")
                % {
                    "name": shown,
                    "size": filesizeformat(size),
                    "max": filesizeformat(MAX_DRAWING_BYTES),
                }
            }
        )
    if size and _is_pdf(upload):
        return CheckedFile(
            upload, clean_name(upload.name, extensions=(".pdf",)), "application/pdf", size
        )
    try:
        photo = photo_check(upload)
    except ValidationError:
        raise ValidationError(
            {field: _("“%(name)s”不是 PDF、JPEG 或 PNG 文件。") % {"name": shown}}
        ) from None
    return CheckedFile(photo.upload, photo.name, photo.content_type, photo.size)


def image_check(upload: UploadedFile, *, field: str) -> CheckedFile:
    """A photo (pass photo, inspection photo), with its error under ``field``."""
    try:
        photo = photo_check(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_dict["photos"]}) from None
    return CheckedFile(photo.upload, photo.name, photo.content_type, photo.size)
