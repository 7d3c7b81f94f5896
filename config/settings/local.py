"""The embedded default used by ``python3 dev.py run``: debug on, nothing to configure."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
