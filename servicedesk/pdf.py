"""PDF forms: a Django template rendered by WeasyPrint (STYLE §5).

Public API::

    render_pdf(template_name, context, *, request=None) -> bytes
    pdf_response(pdf_bytes, filename) -> HttpResponse
    qr_data_uri(url) -> str
    render_pdf_document  # Celery task "servicedesk.render_pdf_document", queue "pdf"

Safety (PDFs carry customer data, ORG-02, and may contain user-typed text):

- Every resource WeasyPrint asks for goes through ``StaticOnlyURLFetcher``: it
  serves files of the project's static directories (``/static/...``, found by
  the staticfiles finders or in ``STATIC_ROOT``) and ``data:`` URIs (the QR
  code), and refuses everything else: ``http(s)://`` elsewhere, ``file://``,
  ``ftp://``, ``..`` traversal. A refused ``<img>`` is simply left out.
  (WeasyPrint >= 70 takes a ``URLFetcher`` *instance*: its ``fetch()`` is the
  one hook, and ``fail_on_errors`` decides whether a failure aborts.)
- The CJK font is the OFL Noto Sans SC shipped in ``static/fonts`` (built by
  ``scripts/build_fonts.py``) and loaded with ``@font-face`` through that
  fetcher; no system font is needed.
- A glyph the font lacks (".notdef glyph rendered") is an error: under
  ``DEBUG``/tests ``render_pdf`` raises ``PdfMissingGlyph``; in production it is
  logged at ERROR with the characters, and the PDF is still served.
- Rendering is time-boxed: ``render_pdf`` waits at most
  ``RENDER_TIMEOUT_SECONDS`` and raises ``PdfTimeout``.

Costs (measured here): a one-page form ~0.5 s and ~270 MiB, a 50-page report
~21 s. One-page forms render in the request; multi-page documents go to the
``render_pdf_document`` task, routed by ``CELERY_TASK_ROUTES`` to the ``pdf``
queue, whose worker runs with concurrency 1 and a memory cap. WeasyPrint is
imported at module import so web workers pay its start-up once, at boot.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import os
import posixpath
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from urllib.request import DataHandler, Request

import qrcode
import qrcode.constants
import qrcode.image.svg
import weasyprint
from celery import shared_task
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils._os import safe_join
from django.utils.module_loading import import_string
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The document's base URL. ".invalid" never resolves (RFC 6761): it only gives
# relative URLs such as "/static/fonts/x.ttf" an absolute form the fetcher maps
# back onto the static directories. Nothing is ever requested from this host.
PDF_BASE_URL = "https://pdf.servicedesk.invalid/"

# Cap on one in-request render (seconds, including the wait for the render
# thread). A one-page form takes ~0.5 s; anything near the cap belongs in the
# Celery task. A timed-out render cannot be killed (it is a thread): it runs on
# in the background and the next render waits for it, within its own cap.
RENDER_TIMEOUT_SECONDS = 20.0
# Celery limits of the multi-page task (seconds): ~21 s for 50 pages measured.
TASK_SOFT_TIME_LIMIT = 240
TASK_TIME_LIMIT = 300

MAX_STATIC_BYTES = 32 * 1024 * 1024  # a font is ~10.6 MB
MAX_DATA_URI_BYTES = 2 * 1024 * 1024  # a QR code is a few KB

_NOTDEF_PREFIX = ".notdef glyph rendered"


class PdfError(Exception):
    """Rendering a PDF failed."""


class PdfTimeout(PdfError):
    """The render took longer than its cap."""


class PdfMissingGlyph(PdfError):
    """The font lacks characters of the document (they would print as boxes)."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        listed = " ".join(f"{c} (U+{ord(c):04X})" for c in chars)
        super().__init__(f"Missing glyphs in PDF: {listed}")


class RefusedURL(ValueError):
    """The PDF asked for a resource outside the project's static files."""


# --- URL fetcher ----------------------------------------------------------------


def _static_prefixes() -> list[str]:
    """URL prefixes mapped onto the static files: the PDF origin and STATIC_URL."""
    static_url = settings.STATIC_URL or "/static/"
    parts = urlsplit(static_url)
    static_path = parts.path if parts.path.endswith("/") else parts.path + "/"
    prefixes = [PDF_BASE_URL.rstrip("/") + static_path]
    if parts.scheme in ("http", "https") and parts.netloc:
        # An absolute STATIC_URL (CDN): {% static %} yields it; served locally.
        prefixes.append(f"{parts.scheme}://{parts.netloc}{static_path}")
    return prefixes


def static_file_for_url(url: str) -> Path:
    """Return the local static file that ``url`` names, or raise ``RefusedURL``."""
    for prefix in _static_prefixes():
        if url.startswith(prefix):
            raw = url[len(prefix) :]
            break
    else:
        raise RefusedURL(f"not a static file URL: {url[:200]}")
    raw = raw.split("#", 1)[0].split("?", 1)[0]
    relative = unquote(raw)
    segments = relative.split("/")
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or relative.startswith("/")
        or any(seg in ("", ".", "..") for seg in segments)
        or posixpath.normpath(relative) != relative
    ):
        raise RefusedURL(f"unsafe static path: {relative[:200]!r}")
    found = finders.find(relative)
    candidate: Path | None = Path(found) if isinstance(found, str) else None
    if candidate is None and settings.STATIC_ROOT:
        try:
            candidate = Path(safe_join(str(settings.STATIC_ROOT), relative))
        except SuspiciousFileOperation as exc:
            raise RefusedURL(f"unsafe static path: {relative[:200]!r}") from exc
    if candidate is None or not candidate.is_file():
        raise RefusedURL(f"no such static file: {relative[:200]!r}")
    return candidate


def _data_uri(url: str) -> tuple[bytes, str]:
    """Decode a ``data:`` URI with the standard library; return (bytes, content type)."""
    if len(url) > MAX_DATA_URI_BYTES * 4 // 3 + 256:
        raise RefusedURL("data: URI too large")
    # Only reached for "data:" URLs (checked by the caller): nothing is opened.
    response = DataHandler().data_open(Request(url))  # noqa: S310
    body = response.read()
    content_type = response.headers.get("Content-type", "text/plain")
    return body, content_type


class StaticOnlyURLFetcher(URLFetcher):
    """Serve only the project's static files and ``data:`` URIs; refuse the rest.

    ``fail_on_errors=False``: a refused URL (say ``<img src="http://…">`` typed
    into a note) does not abort the PDF; the resource is just not loaded.
    ``refused`` lists what was refused, for logs and tests.
    """

    def __init__(self) -> None:
        # fetch() below is the only gate: the inherited urllib opener is never used.
        super().__init__(timeout=5, allow_redirects=False, fail_on_errors=False)
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            if url[:5].lower() == "data:":
                body, content_type = _data_uri(url)
            else:
                path = static_file_for_url(url)
                if path.stat().st_size > MAX_STATIC_BYTES:
                    raise RefusedURL(f"static file too large: {path.name}")
                body = path.read_bytes()
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        except RefusedURL:
            self.refused.append(url[:200])
            logger.warning("PDF resource refused: %s", url[:200])
            raise
        except Exception as exc:  # malformed data: URI and the like
            self.refused.append(url[:200])
            logger.warning("PDF resource refused (%s): %s", type(exc).__name__, url[:200])
            raise RefusedURL(str(exc)) from exc
        self.fetched.append(url if not url.startswith("data:") else url[:40])
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


# --- Missing glyphs -----------------------------------------------------------------

_capture = threading.local()


class _GlyphWatch(logging.Filter):
    """On the "weasyprint" logger: collect .notdef warnings of the current render.

    The settings keep "weasyprint" at ERROR, which would drop the warning before
    any filter sees it; so the logger is lowered to WARNING and this filter
    drops what the configured level would have dropped (``floor``).
    """

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_NOTDEF_PREFIX):
            sink = getattr(_capture, "missing", None)
            if sink is not None and record.args:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                sink.append(str(args[0]))
            return False  # render_pdf reports it, with context
        return record.levelno >= self.floor


def _watch_glyphs() -> None:
    """Install the .notdef watch on the "weasyprint" logger (idempotent)."""
    wp_logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _GlyphWatch) for f in wp_logger.filters):
        wp_logger.addFilter(_GlyphWatch(floor=wp_logger.getEffectiveLevel()))
    if wp_logger.getEffectiveLevel() > logging.WARNING:
        wp_logger.setLevel(logging.WARNING)


# --- Rendering ------------------------------------------------------------------------

# One render thread per process: WeasyPrint is not documented as thread-safe and
# one render already takes ~270 MiB, so renders in a process run one at a time.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-render")


def _write_pdf(html: str) -> tuple[bytes, list[str], StaticOnlyURLFetcher]:
    """Render ``html`` (in the calling thread); return the PDF, missing chars, fetcher."""
    _watch_glyphs()
    fetcher = StaticOnlyURLFetcher()
    missing: list[str] = []
    _capture.missing = missing
    try:
        document = weasyprint.HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher)
        pdf = document.write_pdf(font_config=FontConfiguration())
    finally:
        _capture.missing = None
    return pdf, sorted(set(missing)), fetcher


def _strict_glyphs() -> bool:
    return bool(settings.DEBUG or settings.TESTING)


def _check_glyphs(missing: list[str], template_name: str, *, strict: bool) -> None:
    if not missing:
        return
    error = PdfMissingGlyph(missing)
    if strict:
        raise error
    logger.error("%s in %s: the font lacks them", error, template_name)


def _prepare_context(context: dict[str, Any], request: HttpRequest | None) -> dict[str, Any]:
    """Make ``record_url`` absolute and add its ``qr`` code (base template contract)."""
    ctx = dict(context)
    record_url = ctx.get("record_url")
    if record_url and request is not None and not urlsplit(str(record_url)).netloc:
        ctx["record_url"] = request.build_absolute_uri(str(record_url))
    if ctx.get("record_url") and "qr" not in ctx:
        ctx["qr"] = qr_data_uri(str(ctx["record_url"]))
    return ctx


def render_html(
    template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None
) -> str:
    """Render the PDF's HTML (what WeasyPrint gets), e.g. to inspect it in tests."""
    return render_to_string(template_name, _prepare_context(context, request), request=request)


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    request: HttpRequest | None = None,
    timeout: float = RENDER_TIMEOUT_SECONDS,
) -> bytes:
    """Render a Django template to PDF bytes (one-page forms; see the module docstring).

    The template is rendered here (database access stays in this thread); only
    WeasyPrint runs in the render thread, for at most ``timeout`` seconds.
    Raises ``PdfTimeout``, or ``PdfMissingGlyph`` under DEBUG/tests.
    """
    html = render_html(template_name, context, request=request)
    started = time.monotonic()
    future = _EXECUTOR.submit(_write_pdf, html)
    try:
        pdf, missing, fetcher = future.result(timeout=timeout)
    except FutureTimeoutError as exc:
        future.cancel()  # only helps if it had not started
        logger.error("PDF %s timed out after %.1f s", template_name, timeout)
        raise PdfTimeout(f"{template_name} took longer than {timeout:.0f} s") from exc
    logger.info(
        "PDF %s: %d bytes in %.2f s%s",
        template_name,
        len(pdf),
        time.monotonic() - started,
        f", refused {len(fetcher.refused)} URL(s)" if fetcher.refused else "",
    )
    _check_glyphs(missing, template_name, strict=_strict_glyphs())
    return pdf


# --- Helpers --------------------------------------------------------------------------


def qr_data_uri(url: str) -> str:
    """Return a QR code of ``url`` as an SVG ``data:`` URI (for ``<img src>``)."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=1,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(url)
    qr.make(fit=True)
    svg = qr.make_image().to_string(encoding="unicode")
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _ascii_filename(filename: str) -> str:
    """An ASCII fallback name for old clients: "客户资料登记表-1-101.pdf" -> "1-101.pdf"."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, "pdf"
    safe_stem = re.sub(r"[^A-Za-z0-9._-]+", "", stem).strip("._-")
    safe_ext = re.sub(r"[^A-Za-z0-9]+", "", ext) or "pdf"
    return f"{safe_stem or 'document'}.{safe_ext}"


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """Return the PDF as an HTTP response, shown in the browser, with a Chinese file name.

    ``Content-Disposition`` carries an ASCII ``filename`` and the UTF-8
    ``filename*`` (RFC 6266/5987). The PDF holds personal data (ORG-02): it is
    never cached by shared caches.
    """
    filename = filename.replace("\r", "").replace("\n", "").replace('"', "")
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{_ascii_filename(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(len(pdf_bytes))
    return response


# --- Celery: multi-page documents -----------------------------------------------------


def _output_path(output_name: str) -> Path:
    """Return MEDIA_ROOT/pdf/<output_name>, refusing names that leave that folder."""
    base = Path(settings.MEDIA_ROOT) / "pdf"
    try:
        return Path(safe_join(str(base), output_name))
    except SuspiciousFileOperation as exc:
        raise PdfError(f"bad output name: {output_name!r}") from exc


@shared_task(
    name="servicedesk.render_pdf_document",
    soft_time_limit=TASK_SOFT_TIME_LIMIT,
    time_limit=TASK_TIME_LIMIT,
)
def render_pdf_document(
    template_name: str,
    output_name: str,
    context: dict[str, Any] | None = None,
    selector: str | None = None,
    selector_kwargs: dict[str, Any] | None = None,
) -> str:
    """Render a (multi-page) PDF to ``MEDIA_ROOT/pdf/<output_name>``; return its path.

    Routed to the ``pdf`` queue (``CELERY_TASK_ROUTES``: ``servicedesk.render_pdf_*``).
    The context is ``context`` (JSON-serialisable) updated with what
    ``selector(**selector_kwargs)`` returns; ``selector`` is the dotted path of a
    function in a ``selectors`` module, so the worker queries the database itself.
    The caller checks permissions (``get_scoped_or_404``) *before* enqueueing: the
    task has no user. Glyph checks follow ``render_pdf``.
    """
    full_context: dict[str, Any] = dict(context or {})
    if selector:
        module = selector.rpartition(".")[0]
        if not (module == "selectors" or module.endswith(".selectors")):
            raise PdfError(f"selector must live in a selectors module: {selector!r}")
        full_context.update(import_string(selector)(**(selector_kwargs or {})))
    html = render_html(template_name, full_context)
    started = time.monotonic()
    pdf, missing, _fetcher = _write_pdf(html)  # this worker's own process: no thread
    _check_glyphs(missing, template_name, strict=_strict_glyphs())
    target = _output_path(output_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees half a PDF.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info(
        "PDF %s -> %s: %d bytes in %.1f s",
        template_name,
        target,
        len(pdf),
        time.monotonic() - started,
    )
    return str(target)
