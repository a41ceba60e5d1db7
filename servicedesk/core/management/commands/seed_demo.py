"""``python manage.py seed_demo`` (API.md): the demo project ``DEMO``; safe to run twice."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules

from servicedesk.core.demo import seed_demo


class Command(BaseCommand):
    help = "Load the realistic demo project DEMO with accounts of every role (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("demo")  # each app's demo.py registers its seeder
        seed_demo(log=self.stdout.write)
