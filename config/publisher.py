"""Celery tasks published off the request path: one daemon thread per process publishes them.

Publishing a task is a broker round trip plus kombu's own work: about a third of a webhook's
acknowledgement (docs/performance.md, "Webhook acknowledgement"), and a sync gunicorn worker
waiting on it serves nothing meanwhile. ``publish_soon`` hands the task to this process's
publisher thread and returns at once; the thread publishes within milliseconds.

Callers call it from ``transaction.on_commit``: the row the task will read is committed, so a
task lost with its process (killed before the thread published it, or the broker down) is
found again by the sweeper that re-enqueues stale rows (``sweep_stuck_webhook_events_task``
for webhook events), as after any broker outage. At a normal exit what is still queued is
published first. With ``CELERY_TASK_ALWAYS_EAGER`` (the embedded default, the tests) the
task runs at once in the caller, as ``delay`` does.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading

from django.conf import settings

logger = logging.getLogger(__name__)


class BackgroundPublisher:
    """A queue of (task, args) and the thread that publishes them, made anew in a forked child."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue | None = None
        self._pid: int | None = None
        self._exit_hook = False

    def publish_soon(self, task, *args) -> None:
        """``task.delay(*args)``, from this process's publisher thread (at once when eager)."""
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task.delay(*args)
            return
        self._queue_of_this_process().put((task, args))

    def _queue_of_this_process(self) -> queue.SimpleQueue:
        with self._lock:
            if self._queue is None or self._pid != os.getpid():
                # First use, or a forked child: the parent's thread did not come along.
                self._queue, self._pid = queue.SimpleQueue(), os.getpid()
                threading.Thread(
                    target=self._run, args=(self._queue,), name="celery-publisher", daemon=True
                ).start()
                if not self._exit_hook:
                    atexit.register(self.flush)
                    self._exit_hook = True
            return self._queue

    def _run(self, tasks: queue.SimpleQueue) -> None:
        while True:
            task, args = tasks.get()
            self._publish(task, args)

    @staticmethod
    def _publish(task, args) -> None:
        from config.queueing import publish  # gives up quickly on a broker outage, logs, counts

        try:
            publish(task, *args)
        except Exception:  # anything else: the row is committed, its sweeper enqueues it later
            logger.exception("could not publish %s%r; its sweeper will enqueue it", task.name, args)

    def flush(self) -> None:
        """Publish, in the caller, what the thread has not taken yet (at exit; tests)."""
        tasks = self._queue
        if tasks is None or self._pid != os.getpid():
            return
        while True:
            try:
                task, args = tasks.get_nowait()
            except queue.Empty:
                return
            self._publish(task, args)


publisher = BackgroundPublisher()
publish_soon = publisher.publish_soon
