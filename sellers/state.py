"""Where a seller's qualification lives: the database, with a read-through cache in front.

The database row (``SellerQualification``) is the truth and survives restarts. Two ways in:

- ``locked_qualification``: for writers. Inside the pipeline's transaction (contact and
  conversation already locked) it reads the row from the database with ``select_for_update`` and
  never from the cache, so a decision is never made on a stale copy.
- ``cached_qualification``: for readers outside that transaction (dashboard, admin, APIs):
  the cache (Redis in production) first, the database on a miss.

Every write calls ``forget_qualification``: once the transaction commits, the contact's cache
version moves on, so every copy cached before is never read again. A reader that loaded the
row just before a write and stores it just after stores it under the old version: it cannot
bring a stale copy back. Copies are only stored once the reader's own transaction commits, so
a row that is rolled back is never cached.
"""

import time

from django.core.cache import cache
from django.db import transaction

from leads.models import Contact
from sellers.models import SellerQualification

CACHE_TIMEOUT = 15 * 60  # seconds; a safety net, the version bump on write does the real work


def _version_key(contact_id: int) -> str:
    return f"sellers:qualification:version:{contact_id}"


def _version(contact_id: int) -> int:
    key = _version_key(contact_id)
    version = cache.get(key)
    if version is None:
        # Start from the clock, not 0: a version key lost to eviction never meets old copies.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def cache_key(contact_id: int) -> str:
    """The cache key of the current copy of one contact's qualification."""
    return f"sellers:qualification:v{_version(contact_id)}:{contact_id}"


def locked_qualification(*, contact: Contact) -> SellerQualification:
    """The contact's qualification, created if new, locked for this transaction (DB only)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_qualification must run inside a transaction")
    qualification = (
        SellerQualification.objects.select_for_update().filter(contact_id=contact.pk).first()
    )
    if qualification is None:
        # The caller holds the contact's row lock, so no one else can be creating it now.
        qualification = SellerQualification.objects.create(contact=contact)
        forget_qualification(contact_id=contact.pk)
    qualification.contact = contact
    return qualification


def cached_qualification(*, contact_id: int) -> SellerQualification | None:
    """The contact's qualification for display: cache first, then the database."""
    key = cache_key(contact_id)
    qualification = cache.get(key)
    if qualification is not None:
        return qualification
    qualification = (
        SellerQualification.objects.select_related("contact").filter(contact_id=contact_id).first()
    )
    if qualification is not None:
        transaction.on_commit(lambda: cache.set(key, qualification, CACHE_TIMEOUT))
    return qualification


def forget_qualification(*, contact_id: int) -> None:
    """After commit, move the contact's cache version on: every cached copy is then stale."""

    def bump() -> None:
        key = _version_key(contact_id)
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or evicted): any fresh start is a new version
            cache.add(key, time.time_ns(), timeout=None)

    transaction.on_commit(bump)
