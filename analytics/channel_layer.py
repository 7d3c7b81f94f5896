"""The embedded default's channel layer: one SQLite file shared by every process.

With Redis the channel layer is Redis. Without it, Channels' in-memory layer lives inside one
process, so an event sent by another process (``manage.py simulate_inbound``, the scheduler
that ``dev.py run`` starts) never reached the dashboards the web server holds open. This
layer keeps channels and group membership in memory like the in-memory layer (the consumers
live in the web server), and passes every ``group_send`` through a small SQLite file next to
the database: the sending process delivers to its own members at once, and each other
process that has dashboards open reads the new rows every ``poll_interval`` seconds and
delivers them to its members. The file also holds the
dashboard's event counter, so sequence numbers stay one series across processes.

It is a separate file, not the app's database: its writes never wait on, or hold, the app's
write lock. Rows are kept ``retention`` seconds. (channels-lite, the nearest library, keeps
membership and per-channel queues in the app's database and has every open socket poll it
with a write, which is the contention this file avoids.)
"""

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time

from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS group_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    body TEXT NOT NULL,
    origin TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SQLiteChannelLayer(InMemoryChannelLayer):
    extensions = ["groups", "flush"]

    def __init__(self, path, poll_interval=0.1, retention=300, **kwargs):
        super().__init__(**kwargs)
        self.path = str(path)
        self.poll_interval = poll_interval
        self.retention = retention
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._pump = None
        self._pump_loop = None
        self._readers = threading.local()

    # --- The shared file ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if not self._schema_ready:
            with self._schema_lock:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(SCHEMA)
                self._schema_ready = True
        return connection

    def _origin(self) -> str:
        # This process and layer (a forked child is another process): its own rows were
        # delivered when sent, so its pump skips them.
        return f"{os.getpid()}:{id(self)}"

    def _insert(self, group: str, body: str) -> None:
        connection = self._connect()
        try:
            now = time.time()
            row = connection.execute(
                "INSERT INTO group_messages (grp, body, origin, created) VALUES (?, ?, ?, ?)",
                (group, body, self._origin(), now),
            ).lastrowid
            if row % 100 == 0:
                connection.execute(
                    "DELETE FROM group_messages WHERE created < ?", (now - self.retention,)
                )
        finally:
            connection.close()

    def _last_id(self) -> int:
        connection = self._connect()
        try:
            return connection.execute("SELECT COALESCE(MAX(id), 0) FROM group_messages").fetchone()[
                0
            ]
        finally:
            connection.close()

    def _after(self, last_id: int) -> list[tuple[int, str, str, str]]:
        connection = self._connect()
        try:
            return connection.execute(
                "SELECT id, grp, body, origin FROM group_messages WHERE id > ? ORDER BY id",
                (last_id,),
            ).fetchall()
        finally:
            connection.close()

    def next_sequence(self, name: str) -> int:
        """Add one to the counter ``name`` and return it: atomic across processes."""
        connection = self._connect()
        try:
            return connection.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                (name,),
            ).fetchone()[0]
        finally:
            connection.close()

    def current_sequence(self, name: str) -> int:
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT value FROM counters WHERE name = ?", (name,)
            ).fetchone()
            return row[0] if row else 0
        finally:
            connection.close()

    def counter_values(self, names: list[str]) -> dict[str, int]:
        """The counters ``names`` that exist, in one read (the cache tiers' topic versions,
        read on every cache lookup: through a connection kept open per thread, as opening
        one costs more than the read)."""
        reader = getattr(self._readers, "connection", None)
        if reader is None or self._readers.pid != os.getpid():
            reader = self._readers.connection = self._connect()
            self._readers.pid = os.getpid()
        marks = ", ".join("?" for _ in names)
        return dict(
            reader.execute(
                f"SELECT name, value FROM counters WHERE name IN ({marks})",  # noqa: S608 - only placeholders
                names,
            ).fetchall()
        )

    # --- Groups: sent through the file, delivered by each process's pump ----------------------

    async def group_send(self, group, message):
        if not isinstance(message, dict):
            raise TypeError("A channel layer message is a dict.")
        self.require_valid_group_name(group)
        await asyncio.to_thread(self._insert, group, json.dumps(message))
        # This process's own members at once, as the in-memory layer would.
        await InMemoryChannelLayer.group_send(self, group, message)

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        loop = asyncio.get_running_loop()
        if self._pump is None or self._pump.done() or self._pump_loop is not loop:
            # Start from the newest row: a dashboard that was not open missed nothing it needs
            # (it renders from the database and catches up by sequence number).
            start = await asyncio.to_thread(self._last_id)
            self._pump_loop = loop
            self._pump = loop.create_task(self._run_pump(start))

    async def _run_pump(self, last_id: int) -> None:
        while self.groups:
            try:
                rows = await asyncio.to_thread(self._after, last_id)
            except sqlite3.Error:  # a busy file: try again next tick, the rows wait there
                logger.exception("reading the shared channel layer at %s failed", self.path)
                rows = []
            origin = self._origin()
            for row_id, group, body, sender in rows:
                last_id = row_id
                if sender != origin and group in self.groups:
                    await InMemoryChannelLayer.group_send(self, group, json.loads(body))
            await asyncio.sleep(self.poll_interval)

    async def flush(self):
        await super().flush()
        if self._pump is not None:
            self._pump.cancel()
        self._pump = None
