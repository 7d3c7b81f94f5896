"""PostgreSQL unavailable: a webhook that cannot be stored is answered 429 with Retry-After (the
only answer HighLevel redelivers), quickly; HighLevel's redeliveries, once the database is
back, are stored and processed, and every lead is answered once. The database is a cluster
of the test's own (initdb), crashed, frozen and restarted under gunicorn."""

import json
import os
import signal
import time
from pathlib import Path

import httpx

from tests.faults.conftest import WebhookKey, app_env, inbound_sms
from tests.faults.servers import AppProcesses

# A refused connection fails at once; one that is not answered after DATABASE_CONNECT_TIMEOUT.
FAST = 5.0


def _post(url: str, key: WebhookKey, payload: dict) -> tuple[httpx.Response, float]:
    body = json.dumps(payload).encode()
    started = time.monotonic()
    response = httpx.post(
        f"{url}/webhooks/ghl/", content=body, headers=key.headers(body), timeout=60
    )
    return response, time.monotonic() - started


def _replies_by_lead(db) -> dict[str, int]:
    rows = db.execute(
        """SELECT c.ghl_contact_id, count(*) FROM leads_message m
           JOIN leads_conversation v ON v.id = m.conversation_id
           JOIN leads_contact c ON c.id = v.contact_id
           WHERE m.direction = 'outbound' AND m.status = 'sent' GROUP BY c.ghl_contact_id"""
    ).fetchall()
    return dict(rows)


def _frozen(pid: int) -> list[int]:
    """The postmaster and its children (all of them ours): SIGSTOP them all."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    pids = [pid, *(int(child) for child in children)]
    for each in pids:
        os.kill(each, signal.SIGSTOP)
    return pids


def test_webhooks_get_429_while_postgres_is_down_and_their_redeliveries_are_answered_once(
    pg_cluster, tmp_path
):
    key = WebhookKey()
    # No REDIS_URL: tasks run in the web process (the embedded default), so the database is
    # the one thing that fails. DB_CONN_MAX_AGE=0: every request opens its own connection.
    app = AppProcesses(
        tmp_path / "app",
        app_env(
            database_url=pg_cluster.create_database("jorge"),
            key=key,
            directory=tmp_path,
            DB_CONN_MAX_AGE="0",
        ),
    )
    try:
        app.manage("migrate", "--no-input", "--verbosity", "0")
        url = app.web()

        response, _ = _post(url, key, inbound_sms(0))
        assert response.status_code == 200

        # Crashed: every delivery is refused for now, quickly, and asked for again.
        pg_cluster.stop("immediate")
        for n in (1, 2, 3):
            response, seconds = _post(url, key, inbound_sms(n))
            assert response.status_code == 429, response.text
            assert response.headers["Retry-After"] == "600"
            assert response.json()["error"]["code"] == "storage_unavailable"
            assert seconds < FAST, f"answered after {seconds:.1f} s"

        # Frozen (it accepts connections and answers nothing): the same, within the timeout.
        pg_cluster.start()
        frozen = _frozen(pg_cluster.postmaster_pid())
        try:
            response, seconds = _post(url, key, inbound_sms(4))
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        assert response.status_code == 429
        assert seconds < FAST, f"answered after {seconds:.1f} s"

        # Back: HighLevel's redeliveries are stored, processed and answered, once each.
        for n in (1, 2, 3, 4):
            response, _ = _post(url, key, inbound_sms(n))
            assert (response.status_code, response.json()["duplicate"]) == (200, False)
        response, _ = _post(url, key, inbound_sms(2))  # a second redelivery of one of them
        assert (response.status_code, response.json()["duplicate"]) == (200, True)

        with pg_cluster.connect("jorge") as db:
            events = db.execute("SELECT status, count(*) FROM leads_webhookevent GROUP BY status")
            assert dict(events.fetchall()) == {"processed": 5}
            assert _replies_by_lead(db) == {f"lead-{n}": 1 for n in range(5)}
    finally:
        app.stop_all()
