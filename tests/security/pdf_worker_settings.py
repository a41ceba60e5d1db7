"""Settings of the Celery worker that ``test_faults_pdf.py`` kills: the test
settings, with a broker that hands an unacknowledged task back after one second
instead of kombu's hour, so the test need not wait for it."""

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 1,
    "unacked_restore_interval": 0.5,
    "unacked_restore_throttle": 1,
}
