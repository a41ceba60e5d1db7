"""The size of a request is capped before its body is read (issue #8 §3).

Django caps the non-file part of a body (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but
streams uploaded files to disk whatever their size, and only then can a view
check each one. This middleware refuses, from the ``Content-Length`` header
alone, any request larger than ``MAX_REQUEST_BYTES`` (413), so a 2 GB "photo"
never reaches the disk. Each module still checks every file by its content and
its own size limit (photos 5 MB, drawings 10 MB).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = _("提交的内容共 %(size)s，超过 %(max)s 的上限，请减少或压缩文件后重试。") % {
                "size": filesizeformat(length),
                "max": filesizeformat(limit),
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
