"""A selector for the PDF task that a test can catch in the middle of a render
(``test_faults_pdf.py``). It lives in a ``selectors`` module because the task
only imports from those."""

from __future__ import annotations

import os
import time
from pathlib import Path


def slow_the_first_time(marker: str) -> dict[str, str]:
    """Write ``marker`` and hang the first time (the test kills the worker there);
    return the form's title every later time."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(120)
    return {"form_title": "工作联系单"}
