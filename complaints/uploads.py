"""Photos attached to a record: validated by their content, size-capped, counted.

The browser's declared content type and the file name's extension are the
client's word, so neither is trusted: Pillow reads the bytes, and only what it
recognises as JPEG, PNG or WebP is stored, under a generated name
(``models.photo_path``), with the content type Pillow found. Photos are only
ever served as attachments (``views.photo``), never rendered inline.

Every check of a batch runs before the first file is written, so a refused
photo leaves neither a row nor a stray file behind.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from complaints.models import Complaint, Photo
from complaints.services import InvalidTransition
from servicedesk.core.events import record_event

# Bytes per photo: a phone photo (3-4 MiB) fits; anything larger is refused before
# Pillow reads it. Uploads up to FILE_UPLOAD_MAX_MEMORY_SIZE stay in memory.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Photos per record, all uploads together (desk, portal and API): enough to show
# a leak and its repair; it bounds the storage one record can take.
MAX_PHOTOS_PER_RECORD = 6
# Pillow format → the content type we store and serve, and the file name
# extensions that format may carry. Only these plugins are tried at all.
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "JPEG": ("image/jpeg", (".jpg", ".jpeg")),
    "PNG": ("image/png", (".png",)),
    "WEBP": ("image/webp", (".webp",)),
}
ACCEPT = ",".join(content_type for content_type, _exts in FORMATS.values())
MAX_NAME_CHARS = 200  # Photo.original_name
MAX_EXTENSION_CHARS = 5  # a longer "extension" is part of the name
FIELD = "photos"


@dataclass(frozen=True)
class CheckedPhoto:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def clean_name(raw: str | None, *, extensions: tuple[str, ...] = ()) -> str:
    """Return the upload's base name, safe to show and to offer as a download name.

    Drops any directory part (``/`` or ``\\``) and control or format characters,
    and keeps at most 200 characters. With ``extensions`` (the real format's), a
    name not already ending in one of them gets the first, replacing its own:
    the saved download then opens as the image it is.
    """
    name = re.split(r"[/\\]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip() or "photo"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > MAX_EXTENSION_CHARS or " " in ext:
        stem, ext = name, ""
    else:
        ext = f".{ext}"
    if extensions and ext.lower() not in extensions:
        ext = extensions[0]
    return stem[: MAX_NAME_CHARS - len(ext)] + ext


def photo_check(upload: UploadedFile) -> CheckedPhoto:
    """Return the upload's safe name, real content type and size, or raise
    ``ValidationError({"photos": ...})`` naming the file."""
    shown = clean_name(upload.name)
    size = upload.size or 0
    if size > MAX_PHOTO_BYTES:
        raise ValidationError(
            {
                FIELD: _("“%(name)s”有 %(size)s，超过每张 %(max)s 的上限。")
                % {
                    "name": shown,
                    "size": filesizeformat(size),
                    "max": filesizeformat(MAX_PHOTO_BYTES),
                }
            }
        )
    not_an_image = ValidationError(
        {FIELD: _("“%(name)s”不是 JPEG、PNG 或 WebP 图片。") % {"name": shown}}
    )
    if size == 0:
        raise not_an_image
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # A pixel bomb is refused, not merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(FORMATS)) as image:
                found = image.format
                image.verify()
    except Exception as exc:  # Pillow raises many kinds for bytes it cannot parse.
        raise not_an_image from exc
    finally:
        upload.seek(0)
    if found not in FORMATS:
        raise not_an_image
    content_type, extensions = FORMATS[found]
    return CheckedPhoto(
        upload=upload,
        name=clean_name(upload.name, extensions=extensions),
        content_type=content_type,
        size=size,
    )


def photos_check(uploads: Sequence[UploadedFile], *, existing: int = 0) -> list[CheckedPhoto]:
    """Check a batch: each file, and the record's total; every error, each naming its file."""
    errors: list[ValidationError] = []
    if existing + len(uploads) > MAX_PHOTOS_PER_RECORD:
        errors.append(
            ValidationError(
                _("每条记录最多 %(max)s 张照片，已有 %(n)s 张，本次选了 %(k)s 张。")
                % {"max": MAX_PHOTOS_PER_RECORD, "n": existing, "k": len(uploads)}
            )
        )
    checked = []
    for upload in uploads:
        try:
            checked.append(photo_check(upload))
        except ValidationError as exc:
            errors.extend(exc.error_dict[FIELD])
    if errors:
        raise ValidationError({FIELD: errors})
    return checked


@transaction.atomic
def photos_add(
    *, complaint: Complaint, uploads: Sequence[UploadedFile], by: User | None
) -> list[Photo]:
    """Attach ``uploads`` to ``complaint``, all or none, one event per photo."""
    if not uploads:
        return []
    # Lock the record: two uploads at once cannot both take the last free place.
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == Complaint.Status.MERGED:
        raise InvalidTransition(_("已合并的记录请在主记录上添加照片。"))
    existing = Photo.objects.filter(complaint=complaint).count()
    checked = photos_check(uploads, existing=existing)
    photos = []
    for item in checked:
        photo = Photo(
            complaint=complaint,
            file=item.upload,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            uploaded_by=by if by is not None and by.is_authenticated else None,
        )
        photo.save()
        record_event(complaint, action="photo_added", actor=by, reason=item.name)
        photos.append(photo)
    return photos


def photo_add(*, complaint: Complaint, upload: UploadedFile, by: User | None) -> Photo:
    """Attach one photo to ``complaint`` (validated by content, size-capped, counted)."""
    return photos_add(complaint=complaint, uploads=[upload], by=by)[0]
