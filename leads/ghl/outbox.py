"""The outbox: an httpx transport that records HighLevel calls instead of sending them.

With no ``GHL_API_TOKEN`` the real client builds and sends every request through
this transport; it stores the request as an ``OutboxMessage`` (the token redacted)
and answers the way HighLevel would, so everything up to the network is the code
that runs in production and the bots can be watched with no HighLevel account.
"""

from __future__ import annotations

import json
import uuid
from email.parser import BytesParser
from email.policy import HTTP

import httpx
from django.conf import settings
from django.utils import timezone

from leads.models import Contact, Conversation, OutboxMessage

REDACTED = "Bearer [redacted]"


def _outbox_id() -> str:
    return f"outbox-{uuid.uuid4().hex}"


def _multipart(content_type: str, raw: bytes) -> dict:
    """Form fields and file summaries of a multipart body (file bytes are not kept)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, str] = {}
    files: list[dict] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files.append(
                {
                    "field": name,
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(payload),
                }
            )
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return {"fields": fields, "files": files}


def _request_body(request: httpx.Request) -> object:
    raw = request.read()
    if not raw:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        return _multipart(content_type, raw)
    try:
        return json.loads(raw)
    except ValueError:
        return {"raw": raw.decode("utf-8", "replace")}


def _local_contact(contact_id: str) -> Contact | None:
    return Contact.objects.filter(ghl_contact_id=contact_id).order_by("pk").first()


def _contact_json(contact_id: str) -> dict:
    contact = _local_contact(contact_id)
    if contact is None:
        return {"id": contact_id, "locationId": settings.GHL_LOCATION_ID, "tags": []}
    return {
        "id": contact.ghl_contact_id,
        "locationId": contact.ghl_location_id,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "tags": list(contact.tags),
        "dnd": contact.dnd,
    }


def _conversation_messages(conversation_id: str) -> dict:
    """What HighLevel would list for one of our conversations: the sends the outbox took for
    its contact, newest first (it keeps no inbound messages, which are HighLevel's own)."""
    conversation = (
        Conversation.objects.filter(ghl_conversation_id=conversation_id)
        .select_related("contact")
        .first()
    )
    sends = (
        OutboxMessage.objects.filter(
            operation="send_message", ghl_contact_id=conversation.contact.ghl_contact_id
        ).order_by("-created_at", "-pk")[:100]
        if conversation is not None and conversation.contact.ghl_contact_id
        else []
    )
    messages = [
        {
            "id": (send.response_body or {}).get("messageId", ""),
            "conversationId": conversation_id,
            "contactId": send.ghl_contact_id,
            "direction": "outbound",
            "body": (send.request_body or {}).get("message", ""),
            "messageType": f"TYPE_{str((send.request_body or {}).get('type', 'SMS')).upper()}",
            "status": "delivered",
            "dateAdded": send.created_at.isoformat(),
        }
        for send in sends
    ]
    return {
        "lastMessageId": messages[-1]["id"] if messages else "",
        "nextPage": False,
        "messages": messages,
    }


def fake_response(operation: str, request: httpx.Request, body: object) -> tuple[int, dict]:
    """What HighLevel would answer to ``operation`` (shapes from its OpenAPI specs)."""
    payload = body if isinstance(body, dict) else {}
    contact_id = str(request.extensions.get("ghl_contact_id") or payload.get("contactId") or "")
    now = timezone.now().isoformat()
    if operation == "send_message":
        answer = {
            "conversationId": f"outbox-conversation-{contact_id}",
            "messageId": _outbox_id(),
            "msg": "Message queued",
            "status": "pending",
        }
        if payload.get("type") == "Email":
            answer["emailMessageId"] = _outbox_id()
        return 200, answer
    if operation == "upload_attachment":
        files = payload.get("files", [])
        return 200, {
            "uploadedFiles": {
                f["filename"]: f"https://outbox.invalid/{uuid.uuid4().hex}/{f['filename']}"
                for f in files
            }
        }
    if operation == "get_contact":
        return 200, {"contact": _contact_json(contact_id)}
    if operation == "upsert_contact":
        # HighLevel answers {"new": bool, "contact": {...}}; the outbox keys the id on the phone.
        phone = str(payload.get("phone") or payload.get("email") or "")
        contact = {"id": f"outbox-contact-{uuid.uuid5(uuid.NAMESPACE_URL, phone).hex}", **payload}
        return 201, {"new": True, "contact": contact}
    if operation == "update_contact":
        return 200, {"succeded": True, "contact": {**_contact_json(contact_id), **payload}}
    if operation in {"add_tags", "remove_tags"}:
        current = _contact_json(contact_id)["tags"]
        asked = [str(t) for t in payload.get("tags", [])]
        if operation == "add_tags":
            tags = current + [t for t in asked if t not in current]
        else:
            tags = [t for t in current if t not in asked]
        return (201 if operation == "add_tags" else 200), {"tags": tags}
    if operation == "add_note":
        note = {"id": _outbox_id(), "contactId": contact_id, "dateAdded": now, **payload}
        return 201, {"note": note}
    if operation == "create_task":
        return 201, {"task": {"id": _outbox_id(), "contactId": contact_id, **payload}}
    if operation == "create_opportunity":
        return 201, {"opportunity": {"id": _outbox_id(), "createdAt": now, **payload}}
    if operation == "create_appointment":
        return 200, {"id": _outbox_id(), "dateAdded": now, **payload}
    if operation == "get_conversation_messages":
        return 200, {"messages": _conversation_messages(request.url.path.split("/")[-2])}
    if operation == "free_slots":
        # A recorded read cannot know Jorge's calendar: no slot is ever offered from here
        # (on the embedded default the booking service reads the local calendar instead).
        return 200, {}
    if operation == "update_opportunity":
        opportunity_id = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        return 200, {"opportunity": {"id": opportunity_id, "updatedAt": now, **payload}}
    return 200, {}


class OutboxTransport(httpx.BaseTransport):
    """Stores each request as an ``OutboxMessage`` and returns HighLevel's usual answer."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        operation = str(request.extensions.get("ghl_operation") or "unknown")
        body = _request_body(request)
        status, answer = fake_response(operation, request, body)
        headers = dict(request.headers)
        if "authorization" in headers:
            headers["authorization"] = REDACTED
        OutboxMessage.objects.create(
            method=request.method,
            path=request.url.path,
            operation=operation,
            ghl_contact_id=str(request.extensions.get("ghl_contact_id") or ""),
            request_headers=headers,
            request_body=body,
            response_body=answer,
        )
        return httpx.Response(status, json=answer, request=request)
