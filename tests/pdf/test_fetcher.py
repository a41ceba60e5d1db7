"""The PDF URL fetcher serves only the project's static files and data: URIs."""

from __future__ import annotations

import pytest

from servicedesk.pdf import PDF_BASE_URL, RefusedURL, StaticOnlyURLFetcher, qr_data_uri

FONT_URL = f"{PDF_BASE_URL}static/fonts/NotoSansSC-Regular.ttf"


def test_it_serves_a_static_font() -> None:
    fetcher = StaticOnlyURLFetcher()
    response = fetcher.fetch(FONT_URL)
    assert response.read(4) == b"\x00\x01\x00\x00"  # TrueType
    assert fetcher.fetched == [FONT_URL]


def test_it_serves_data_uris() -> None:
    response = StaticOnlyURLFetcher().fetch(qr_data_uri("https://desk.example.com/units/1/"))
    assert response.content_type == "image/svg+xml"
    assert response.read().startswith(b"<svg")


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/tracker.png",
        "https://evil.example/static/fonts/NotoSansSC-Regular.ttf",
        "file:///etc/passwd",
        "ftp://evil.example/x",
        # Traversal out of the static folder: literal, percent-encoded, backslash.
        f"{PDF_BASE_URL}static/../servicedesk/settings.py",
        f"{PDF_BASE_URL}static/%2e%2e/servicedesk/settings.py",
        f"{PDF_BASE_URL}static/fonts/%2E%2E/%2E%2E/pyproject.toml",
        f"{PDF_BASE_URL}static/..%5c..%5cpyproject.toml",
        f"{PDF_BASE_URL}static/%2Fetc/passwd",
        f"{PDF_BASE_URL}static//etc/passwd",
        # The base host outside /static/.
        f"{PDF_BASE_URL}pyproject.toml",
        f"{PDF_BASE_URL}media/secret.pdf",
        f"{PDF_BASE_URL}static/fonts/missing.ttf",
    ],
)
def test_it_refuses_anything_but_static_files(url: str) -> None:
    fetcher = StaticOnlyURLFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.fetched == []
    assert fetcher.refused == [url]
