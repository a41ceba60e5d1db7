"""The Celery app. Beat runs the deadline sweep every minute (see ``setup_periodic_tasks``).

PostgreSQL holds every deadline; Redis only carries the "run the sweep now"
messages. If the broker is down nothing is lost: the next sweep that runs
catches up on everything that fell due meanwhile.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["servicedesk.deadlines", "servicedesk.notifications"])


@app.on_after_finalize.connect
def setup_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    """The one place beat schedules are declared."""
    sender.add_periodic_task(60.0, sender.signature("servicedesk.sweep_deadlines"), name="sweep")
