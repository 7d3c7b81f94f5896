"""A task whose broker is slow or down, for the tests of publishing off the request path."""

import threading
import time


class SlowBroker:
    """A task whose ``delay`` blocks until released, like a broker that is slow to answer."""

    name = "tests.slow"

    def __init__(self, fail_first: bool = False):
        self.release = threading.Event()
        self.published: list[tuple] = []
        self.threads: list[str] = []
        self.fail_first = fail_first
        self.done = threading.Event()

    def apply_async(self, args=()):  # what config.queueing.publish calls
        self.delay(*args)

    def delay(self, *args):
        self.threads.append(threading.current_thread().name)
        if self.fail_first and not self.published and not hasattr(self, "_failed"):
            self._failed = True
            raise ConnectionError("broker down")
        self.release.wait(5)
        self.published.append(args)
        self.done.set()


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()
