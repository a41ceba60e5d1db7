"""Faults (issue #8 §6): a Celery worker killed while it renders a PDF.

A real worker (``celery worker -Q pdf``, as in production) on the real Redis
takes a ``render_pdf_document`` task and is SIGKILLed in the middle of it:

- the pool's child process only, as the OOM killer picks the biggest process
  (a WeasyPrint render): the task is acknowledged only when it ends
  (``CELERY_TASK_ACKS_LATE``) and a lost child sends it back to the queue
  (``CELERY_TASK_REJECT_ON_WORKER_LOST``), so the worker's next child renders it;
- the whole worker: the broker hands the unacknowledged task to the next worker
  once its visibility timeout has passed (one second here, kombu's hour in
  production).

Either way the file appears whole (written beside it, then renamed) or not at
all — never half a PDF.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from servicedesk.celery import app
from tests.pdf.conftest import needs_poppler, pdf_text

pytestmark = [
    needs_poppler,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a real broker: REDIS_URL"),
]
ROOT = Path(__file__).resolve().parents[2]


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _start_worker(name: str, media: Path, pool: str = "solo") -> subprocess.Popen[bytes]:
    env = {
        **os.environ,  # REDIS_URL: this test process's own Redis database
        "DJANGO_SETTINGS_MODULE": "tests.security.pdf_worker_settings",
        "MEDIA_ROOT": str(media),
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and Celery)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "servicedesk",
            "worker",
            "-Q",
            "pdf",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    # Nothing left over from an earlier run in this Redis database.
    client.delete("pdf", "unacked", "unacked_index", "unacked_mutex")
    return client


def _enqueue(marker: Path) -> None:
    """Send the render to the ``pdf`` queue, as a view would (not run eagerly)."""
    app.send_task(
        "servicedesk.render_pdf_document",
        args=["pdf/base_form.html", "records/联系单.pdf"],
        kwargs={
            "context": {"company": "和美物业", "project": "绿城花园"},
            "selector": "tests.security.selectors.slow_the_first_time",
            "selector_kwargs": {"marker": str(marker)},
        },
        queue="pdf",
    )


def _assert_whole(target: Path, tmp_path: Path) -> None:
    assert "工作联系单" in pdf_text(target.read_bytes(), tmp_path)
    assert not list(target.parent.glob("*.part"))


def test_a_pdf_render_whose_process_is_killed_is_rendered_again_by_the_next_child(
    tmp_path: Path, broker: redis.Redis
) -> None:
    media, marker = tmp_path / "media", tmp_path / "started"
    target = media / "pdf" / "records" / "联系单.pdf"
    _enqueue(marker)
    worker = _start_worker("pdf-prefork", media, pool="prefork")
    try:
        _wait_for(marker.exists, 60, "the worker's child to start the render")
        _wait_for(lambda: marker.read_text().strip().isdigit(), 5, "the child's pid")
        os.kill(int(marker.read_text()), signal.SIGKILL)
        assert not target.exists()
        _wait_for(target.exists, 60, "the next child to render the returned task")
    finally:
        _stop(worker)

    _assert_whole(target, tmp_path)
    assert broker.llen("pdf") == 0 and broker.zcard("unacked_index") == 0


def test_a_pdf_worker_killed_mid_render_leaves_no_half_file_and_the_next_worker_renders_it(
    tmp_path: Path, broker: redis.Redis
) -> None:
    media, marker = tmp_path / "media", tmp_path / "started"
    target = media / "pdf" / "records" / "联系单.pdf"
    _enqueue(marker)
    first = _start_worker("pdf-first", media)
    try:
        _wait_for(marker.exists, 60, "the first worker to start the render")
    finally:
        _stop(first, signal.SIGKILL)  # as the OOM killer would: no clean-up runs

    assert not target.exists()
    # The broker still holds the message the dead worker never acknowledged.
    assert broker.zcard("unacked_index") == 1
    second = _start_worker("pdf-second", media)
    try:
        _wait_for(target.exists, 90, "the second worker to render the returned task")
    finally:
        _stop(second)

    _assert_whole(target, tmp_path)
    assert broker.llen("pdf") == 0 and broker.zcard("unacked_index") == 0
