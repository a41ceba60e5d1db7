"""Settings from the environment (issue #2 §2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x7-very-long-random-production-secret-for-the-deploy-check-0123456789",
    "DJANGO_ALLOWED_HOSTS": "desk.example.com",
    "VISITOR_ID_KEY": "production-visitor-id-encryption-key-from-a-vault-01",
    "VISITOR_ID_HASH_KEY": "production-visitor-id-hash-key-from-a-vault-0123456",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SERVICEDESK_"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "servicedesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_under_production_settings_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "VISITOR_ID_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert missing in result.stderr


def test_nothing_set_means_sqlite_and_no_redis():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_manage(
        "shell", "--no-imports", "-c", code, env={"DATABASE_URL": "", "REDIS_URL": ""}
    )

    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "memory://",
        "True",
    ], result.stderr


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], 'pool' in d['OPTIONS'], s.CELERY_BROKER_URL,"
        " s.CACHES['default']['BACKEND'])"
    )
    env = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/somewhere",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }

    result = run_manage("shell", "--no-imports", "-c", code, env=env)

    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "somewhere",
        "True",
        "redis://127.0.0.1:6379/3",
        "servicedesk.cache.TolerantRedisCache",
    ], result.stderr


def test_language_is_chinese_first_with_english_available__CAL_01(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
