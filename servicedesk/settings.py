"""Settings, read from the environment.

With nothing set you get the embedded set-up: SQLite in ``var/``, no Redis, the
deadline sweep run in-process by ``manage.py sweep_deadlines --every 60``.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to Redis as the Celery
broker and the cache. ``DJANGO_ENV=production`` demands real secrets and hosts.

Rules of the regulations (deadlines, amounts, windows) are NOT here: they live in
admin-editable models so an administrator can change them without a deploy.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = envbool("SERVICEDESK_TESTING")

if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ characters) in production.")
    DEBUG = False
    ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the served host names.")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-servicedesk-0123456789-abcdefghij")
    DEBUG = envbool("DJANGO_DEBUG", default=not TESTING)
    ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

# Demo mode lists the demo accounts on the login page (API.md, seed_demo).
DEMO_MODE = envbool("SERVICEDESK_DEMO", default=not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_htmx",
    "django_celery_beat",
    # shared core
    "servicedesk.core",
    "servicedesk.workcal",
    "servicedesk.notifications",
    "servicedesk.deadlines",
    "servicedesk.web",
    # one app per regulation area
    "complaints",
    "appraisal",
    "decoration",
    "keys",
    "visitors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First: an oversized body is refused before anything reads it.
    "servicedesk.security.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "servicedesk.security.sessions.IdleSessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the trail records who was denied or exported.
    "servicedesk.security.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.web.context_processors.desk",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Persistent connections matter: without them every request pays a connect
# (measured 1.5x slower list responses, issue #2). psycopg 3's pool is used on
# PostgreSQL under gunicorn's sync workers; the SQLite default needs none.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=False)
    if default_db["ENGINE"] == "django.db.backends.postgresql" and envbool("DB_POOL", default=True):
        default_db["OPTIONS"] = {
            **default_db.get("OPTIONS", {}),
            "pool": {"min_size": 1, "max_size": envint("DB_POOL_MAX", 8), "timeout": 10},
        }
    else:
        default_db["CONN_MAX_AGE"] = 600
        default_db["CONN_HEALTH_CHECKS"] = True
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "var" / "servicedesk.sqlite3"),
        # The embedded set-up runs the web server and the sweeper side by side.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
DATABASES = {"default": default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache (optional) --------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "servicedesk.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            # A cache outage must never take a page down with it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Multi-page PDFs take seconds and ~300 MiB: they go to their own queue, served by
# a worker with concurrency 1 (docker-compose.yml).
CELERY_TASK_ROUTES = {"servicedesk.render_pdf_*": {"queue": "pdf"}}

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 8 * 3600)
# Idle timeout, not absolute: the expiry moves forward while someone works,
# renewed at most once a minute (servicedesk.security.sessions), not written on
# every request.
SESSION_REFRESH_SECONDS = envint("SESSION_REFRESH_SECONDS", 60)
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Language and time (CAL-01) ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
if not PRODUCTION:
    # WhiteNoise warns on every start when the collected root is missing.
    STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A whole request (every file of a form together), checked from Content-Length
# before the body is read (servicedesk.security.uploads).
MAX_REQUEST_BYTES = 64 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Visitors' ID numbers (VIS-07): keys live outside the database ------------
if PRODUCTION:
    VISITOR_ID_KEY = env("VISITOR_ID_KEY")
    VISITOR_ID_HASH_KEY = env("VISITOR_ID_HASH_KEY")
    if len(VISITOR_ID_KEY) < 32 or len(VISITOR_ID_HASH_KEY) < 32:
        raise ImproperlyConfigured("VISITOR_ID_KEY and VISITOR_ID_HASH_KEY (32+ characters).")
else:
    VISITOR_ID_KEY = env("VISITOR_ID_KEY", "dev-only-visitor-id-encryption-key-0123456789")
    VISITOR_ID_HASH_KEY = env("VISITOR_ID_HASH_KEY", "dev-only-visitor-id-lookup-hash-key-0123456")

# --- E-mail and SMS -----------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "servicedesk@localhost")
SMS_BACKEND = env("SMS_BACKEND", "servicedesk.notifications.sms.LoggingSmsBackend")
# Absolute links in e-mails, SMS and PDF QR codes made outside a request.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.api.pagination.DeskPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Servicedesk API",
    "DESCRIPTION": "客服部 service desk: complaints, appraisal, decoration, keys, visitors.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # 400/401/403/404 as every operation can answer them (servicedesk.api.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "servicedesk.api.schema.add_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security (production) ----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- Content-Security-Policy (hardening) -------------------------------------
# django-csp 4.x. No inline script anywhere: every page loads its JavaScript from
# static/ (data for scripts goes through json_script). Style attributes stay
# allowed (our admin import notice, DRF's browsable API, import-export and
# simple-history templates use them); <style> elements do not (sheets: static/).
# The only exception is /api/docs/ (servicedesk/api/urls.py). docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # QR codes are data: URIs
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Abuse limits (hardening) -------------------------------------------------
# Operational limits, not regulation numbers, so they are settings (read at call
# time by servicedesk.security, so tests can override them). Windows are fixed.
# Proxies in front of the app that append to X-Forwarded-For; 0 = use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Failed logins (web form and API token) per username+IP and per IP in the window.
LOGIN_FAILURES_PER_USER_IP = envint("LOGIN_FAILURES_PER_USER_IP", 10)
LOGIN_FAILURES_PER_IP = envint("LOGIN_FAILURES_PER_IP", 50)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Online filings (portal form and resident API) per resident user in the window.
PORTAL_FILINGS_PER_USER = envint("PORTAL_FILINGS_PER_USER", 10)
PORTAL_FILING_WINDOW_SECONDS = envint("PORTAL_FILING_WINDOW_SECONDS", 60 * 60)
# The app registers the purge of expired rate counters as a deadline check.
INSTALLED_APPS += ["servicedesk.security"]
