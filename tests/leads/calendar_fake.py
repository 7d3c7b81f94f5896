"""Jorge's HighLevel calendar, faked at the HTTP transport (respx): the real client runs.

Free slots come from ``slots``; a booking takes its slot; sends, tasks and tags are answered
the way HighLevel does. Every request notes whether a database transaction was open, so a test
can assert that nothing waited on HighLevel under a lock.
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from django.db import transaction

API = "https://services.leadconnectorhq.com"


class FakeCalendar:
    def __init__(self, respx_mock, *, slots: list[datetime]):
        self.slots = sorted(slots)
        self.bookings: list[dict] = []
        self.sent: list[str] = []
        self.tasks: list[dict] = []
        self.calls: list[tuple[str, bool]] = []  # (what, inside a transaction)
        self.refuse_with: int | None = None  # a status code to refuse the next booking with
        self.fail_with: Exception | None = None  # a network failure on the next booking
        self.take_before_booking: datetime | None = None  # someone else books it meanwhile
        self.free_slots_status: int | None = None  # free-slot reads fail with this status
        respx_mock.get(url__regex=rf"^{API}/calendars/[^/]+/free-slots").mock(
            side_effect=self._free_slots
        )
        respx_mock.post(f"{API}/calendars/events/appointments").mock(side_effect=self._book)
        respx_mock.post(f"{API}/conversations/messages").mock(side_effect=self._send)
        respx_mock.post(url__regex=rf"^{API}/contacts/[^/]+/tasks$").mock(side_effect=self._task)
        respx_mock.post(url__regex=rf"^{API}/contacts/[^/]+/tags$").mock(
            side_effect=lambda request: self._answer(request, "add_tags", 201, {"tags": []})
        )

    @property
    def in_transaction(self) -> list[bool]:
        return [inside for _, inside in self.calls]

    def requests(self, what: str) -> int:
        return sum(1 for name, _ in self.calls if name == what)

    def _note(self, what: str) -> None:
        self.calls.append((what, transaction.get_connection().in_atomic_block))

    def _answer(self, request, what, status, payload):
        self._note(what)
        return httpx.Response(status, json=payload)

    def _free_slots(self, request: httpx.Request) -> httpx.Response:
        self._note("free_slots")
        if self.free_slots_status is not None:
            status = self.free_slots_status
            return httpx.Response(status, json={"statusCode": status, "message": "Unauthorized"})
        params = request.url.params
        start, end = int(params["startDate"]), int(params["endDate"])
        zone = ZoneInfo(params.get("timezone", "UTC"))
        if self.take_before_booking is not None and self.requests("free_slots") > 1:
            self.slots = [s for s in self.slots if s != self.take_before_booking]
        days: dict = {}
        for slot in self.slots:
            if start <= slot.timestamp() * 1000 <= end:
                local = slot.astimezone(zone)
                days.setdefault(local.date().isoformat(), {"slots": []})["slots"].append(
                    local.isoformat()
                )
        return httpx.Response(200, json={**days, "traceId": "trace-1"})

    def _book(self, request: httpx.Request) -> httpx.Response:
        self._note("create_appointment")
        body = json.loads(request.content)
        self.bookings.append(body)
        if self.fail_with is not None:
            raise self.fail_with
        if self.refuse_with is not None:
            return httpx.Response(
                self.refuse_with,
                json={"statusCode": self.refuse_with, "message": "The slot is not available"},
            )
        start = datetime.fromisoformat(body["startTime"])
        self.slots = [s for s in self.slots if s != start]
        end = (start + timedelta(minutes=30)).isoformat()
        return httpx.Response(
            200, json={"id": f"appt-{len(self.bookings)}", **body, "endTime": end}
        )

    def _send(self, request: httpx.Request) -> httpx.Response:
        self._note("send_message")
        self.sent.append(json.loads(request.content)["message"])
        n = len(self.sent)
        return httpx.Response(200, json={"conversationId": "conv", "messageId": f"msg-{n}"})

    def _task(self, request: httpx.Request) -> httpx.Response:
        self._note("create_task")
        self.tasks.append(json.loads(request.content))
        return httpx.Response(201, json={"task": {"id": f"task-{len(self.tasks)}"}})
