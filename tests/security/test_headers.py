"""Security headers on every main page, and no inline script in any template.

The Content-Security-Policy (django-csp, servicedesk/settings.py) forbids inline
script; the template scan fails as soon as someone adds one (docs/security.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from servicedesk.core.models import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

REPO = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "node_modules", "staticfiles", ".git"}
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
SRC_ATTR = re.compile(r"\bsrc\s*=", re.IGNORECASE)
JSON_TYPE = re.compile(r"""\btype\s*=\s*["']application/(ld\+)?json["']""", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\s(on[a-z]+)\s*=\s*["']""", re.IGNORECASE)

MAIN_PAGES = [
    "home",
    "complaints:list",
    "visitors:list",
    "keys:board",
    "appraisal:dashboard",
    "admin:index",
    "api-root",
]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_strict_script_policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    policy = directives(header)
    assert policy.get("script-src") == ["'self'"], header
    assert "'unsafe-inline'" not in policy.get("default-src", []), header
    assert policy.get("object-src") == ["'none'"], header
    assert policy.get("frame-ancestors") == ["'none'"], header
    return policy


def assert_other_headers(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers.get("Referrer-Policy")


@pytest.fixture
def boss(project):
    """Sees every page: manager and administrator, and a Django superuser."""
    user = StaffFactory(
        name="王强", roles=[Role.MANAGER, Role.ADMINISTRATOR], projects=[project]
    ).user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def url_of(name: str) -> str:
    return "/api/v1/" if name == "api-root" else reverse(name)


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_pages_send_a_strict_csp(client, boss, name):
    client.force_login(boss)
    response = client.get(url_of(name), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = assert_strict_script_policy(response)
    assert policy.get("style-src") == ["'self'"]
    assert policy.get("img-src") == ["'self'", "data:"]
    assert_other_headers(response)


def test_the_login_page_sends_a_strict_csp(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_strict_script_policy(response)
    assert_other_headers(response)


def test_the_admin_change_page_has_no_inline_script(client, boss, project):
    client.force_login(boss)
    opts = project._meta
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[project.pk])
    )

    assert response.status_code == 200
    assert_strict_script_policy(response)
    assert inline_scripts(response.content.decode()) == []


def test_the_api_docs_load_their_script_from_a_url(client, boss):
    """The one exception: Swagger UI's page has a <style> element, no inline script."""
    client.force_login(boss)
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    policy = assert_strict_script_policy(response)
    assert "'unsafe-inline'" in policy["style-src"]
    assert inline_scripts(response.content.decode()) == []
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def inline_scripts(html: str) -> list[str]:
    """<script> tags that execute inline code (no src, not a JSON data block)."""
    return [
        match.group(0)
        for match in SCRIPT_TAG.finditer(html)
        if not SRC_ATTR.search(match.group(1)) and not JSON_TYPE.search(match.group(1))
    ]


def template_files() -> list[Path]:
    return sorted(
        path
        for path in REPO.glob("**/templates/**/*.html")
        if not SKIP_DIRS.intersection(path.relative_to(REPO).parts)
    )


def test_the_scan_sees_the_templates():
    names = {path.relative_to(REPO).as_posix() for path in template_files()}
    assert "templates/base.html" in names
    assert len(names) > 20


def test_the_scan_catches_an_inline_script():
    assert inline_scripts('<script>alert(1)</script><script src="/s.js"></script>') == ["<script>"]
    assert inline_scripts('<script id="d" type="application/json">{}</script>') == []
    assert EVENT_HANDLER.search('<button onclick="go()">')


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(REPO)
        offenders += [f"{where}: {tag}" for tag in inline_scripts(text)]
        offenders += [f"{where}: {m.group(1)}=" for m in EVENT_HANDLER.finditer(text)]
    assert offenders == [], "inline script is blocked by the CSP; use a static/js file"
