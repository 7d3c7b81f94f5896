"""The local-memory cache of the embedded default, counted like django-prometheus's backends.

django-prometheus's own ``LocMemCache`` answers ``cached or default``, which turns a cached
0, "" or False into the default; this one returns what was stored.
"""

from django.core.cache.backends import locmem
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


class LocMemCache(locmem.LocMemCache):
    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend="locmem").inc()
        found = super().get(key, _MISSING, version=version)
        if found is _MISSING:
            django_cache_misses_total.labels(backend="locmem").inc()
            return default
        django_cache_hits_total.labels(backend="locmem").inc()
        return found
