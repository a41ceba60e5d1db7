"""Test settings: the real settings with the test switches on.

``DATABASE_URL`` / ``REDIS_URL`` still apply, so CI runs the same suite on the
machine's PostgreSQL and Redis.
"""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SERVICEDESK_TESTING", "1")
os.environ.setdefault("SERVICEDESK_DEMO", "1")

# Under pytest-xdist each worker has its own test database (pytest-django names it
# per worker); give each its own Redis database too, so one worker's cache keys,
# rate counters and Celery queue are never another's. gw0 keeps REDIS_URL's own
# database, gw1 the next one, and so on, wrapping round Redis's default 16.
# Processes a test starts (a Celery worker, a sweep) inherit the shifted URL and the
# marker, so they are not shifted twice.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_shifted = "SERVICEDESK_TEST_REDIS_SHIFTED"
if _worker.startswith("gw") and os.environ.get("REDIS_URL") and not os.environ.get(_shifted):
    _url = urlsplit(os.environ["REDIS_URL"])
    _index = (int(_url.path.strip("/") or 0) + int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_url._replace(path=f"/{_index}"))
    os.environ[_shifted] = "1"

from servicedesk.settings import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Tests serve static files through the finders; there is no collected root.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Tests open connections from worker threads (parallel-transaction tests); a pool
# would keep those open and block dropping the test database at the end.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
