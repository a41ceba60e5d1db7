"""Test settings: the real settings with the test switches on.

``DATABASE_URL`` / ``REDIS_URL`` still apply, so CI runs the same suite on the
machine's PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SERVICEDESK_TESTING", "1")
os.environ.setdefault("SERVICEDESK_DEMO", "1")

from servicedesk.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Tests serve static files through the finders; there is no collected root.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Tests open connections from worker threads (parallel-transaction tests); a pool
# would keep those open and block dropping the test database at the end.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
