"""``python manage.py sweep_deadlines`` (API.md): run every deadline check once.

``--every SECONDS`` keeps running it on a timer: that is how the embedded
set-up (no Redis, no Celery beat) still enforces deadlines while the app runs.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from servicedesk.deadlines.sweep import run_sweep


class Command(BaseCommand):
    help = "Run every registered deadline check once (or every N seconds with --every)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")
        parser.add_argument("--check", action="append", help="run only this check (repeatable)")

    def handle(self, *args: Any, every: int, check: list[str] | None, **options: Any) -> None:
        while True:
            for outcome in run_sweep(only=check):
                if outcome.error:
                    self.stderr.write(f"{outcome.name}: FAILED {outcome.error}")
                elif outcome.skipped:
                    self.stdout.write(f"{outcome.name}: skipped (running elsewhere)")
                elif options["verbosity"] > 1 or outcome.acted:
                    self.stdout.write(f"{outcome.name}: {outcome.acted}")
            if not every:
                return
            close_old_connections()
            time.sleep(every)
