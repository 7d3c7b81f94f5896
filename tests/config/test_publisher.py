"""Tasks published off the request path (config/publisher.py)."""

import threading
import time

from config.publisher import BackgroundPublisher
from tests.config.publisher_fake import SlowBroker, wait_for


def test_publish_soon_returns_before_the_broker_answers(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker, publisher = SlowBroker(), BackgroundPublisher()

    started = time.monotonic()
    publisher.publish_soon(broker, 42)
    returned_after = time.monotonic() - started
    broker.release.set()

    assert returned_after < 1.0
    assert wait_for(lambda: broker.published == [(42,)])
    assert broker.threads == ["celery-publisher"]


def test_a_failed_publish_is_logged_and_the_next_one_still_goes(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker, publisher = SlowBroker(fail_first=True), BackgroundPublisher()
    broker.release.set()

    publisher.publish_soon(broker, 1)
    publisher.publish_soon(broker, 2)

    assert wait_for(lambda: broker.published == [(2,)])
    assert "could not queue tests.slow(1,)" in caplog.text  # config.queueing.publish


def test_eager_tasks_still_run_in_the_caller(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    broker, publisher = SlowBroker(), BackgroundPublisher()
    broker.release.set()

    publisher.publish_soon(broker, 7)

    assert broker.published == [(7,)]
    assert broker.threads == [threading.current_thread().name]


def test_flush_publishes_what_is_still_queued(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker, publisher = SlowBroker(), BackgroundPublisher()
    publisher.publish_soon(broker, 1)  # the thread takes this one and waits on the broker
    assert wait_for(lambda: broker.threads)
    publisher.publish_soon(broker, 2)
    broker.release.set()

    publisher.flush()  # what an exiting process does

    assert wait_for(lambda: sorted(broker.published) == [(1,), (2,)])
