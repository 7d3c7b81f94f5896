"""Live dashboard updates. Consumers only authenticate and join groups; they never write."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .access import can_see_everything, can_see_tickets
from .services import DASHBOARD_GROUP, current_sequence

# What a reviewer's socket carries: the ticket events, nothing about leads or money.
TICKET_EVENT_PREFIXES = ("escalation.", "compliance.ticket")


def is_ticket_event(kind: str) -> bool:
    return kind.startswith(TICKET_EVENT_PREFIXES)


@database_sync_to_async
def _access(user) -> tuple[bool, bool]:
    return can_see_everything(user), can_see_tickets(user)


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/dashboard/``: the session's user (the ASGI stack checks the Origin against
    ALLOWED_HOSTS first). Anonymous → close 4401; not allowed → 4403. On connect it says the
    latest sequence number, so a client back from a drop knows whether it missed events."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        everything, tickets = await _access(user)
        if not tickets:
            await self.close(code=4403)
            return
        self.tickets_only = not everything
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        await self.accept()
        seq = await database_sync_to_async(current_sequence)()
        await self.send_json({"kind": "hello", "seq": seq})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)

    async def dashboard_event(self, event):
        payload = event["payload"]
        if self.tickets_only and not is_ticket_event(payload["kind"]):
            return
        await self.send_json(payload)
