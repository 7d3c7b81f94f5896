"""The MCP server's read-only tools: find a lead, a conversation's summary, the pipeline and
commission, the open tickets. Each calls the selectors the dashboard reads, and what it returns
has no phone number, email address or sensitive data (redaction.py)."""

from typing import Any

from asgiref.sync import sync_to_async
from django.utils import timezone
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from analytics import selectors as dashboard
from analytics.mcp.redaction import mask_email, mask_phone, redact_text
from compliance.models import TicketStatus
from leads import selectors as leads
from leads.models import Contact, Conversation, Message
from leads.services import summaries

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)
MAX_LEADS = 25
MAX_MESSAGES = 50
MAX_TICKETS = 50

INSTRUCTIONS = (
    "Read-only tools over Jorge's real-estate business: his leads and conversations with the "
    "bots, his pipeline and commission, and the tickets waiting for a person. Phone numbers and "
    "email addresses are masked and sensitive data is redacted; money is in US dollars."
)


def _money(value) -> float:
    return float(value or 0)


def _when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _name(contact: Contact) -> str:
    return " ".join(part for part in (contact.first_name, contact.last_name) if part) or "(no name)"


def _lead(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.pk,
        "name": _name(contact),
        "phone": mask_phone(contact.phone),
        "email": mask_email(contact.email),
        "temperature": contact.temperature,
        "score": contact.score,
        "intent": contact.intent,
        "timeline": contact.timeline,
        "budget_min": contact.budget_min,
        "budget_max": contact.budget_max,
        "pre_approved": contact.pre_approved,
        "area": contact.area,
        "language": contact.language,
        "source": contact.source,
        "opted_out": contact.opted_out,
        "created_at": _when(contact.created_at),
    }


def find_leads(*, query: str, limit: int = 10) -> dict[str, Any]:
    """Leads whose name starts with the words, or whose phone or email is the one given."""
    query = query.strip()
    if not query:
        raise ToolError("Say whom to look for: a name, a phone number or an email address.")
    limit = min(max(limit, 1), MAX_LEADS)
    page = leads.active_conversations(
        filters=leads.ConversationFilters(status="all", q=query), per_page=MAX_LEADS
    )
    found: dict[int, dict[str, Any]] = {}
    for row in page.rows:
        conversation = row.conversation
        lead = found.get(conversation.contact_id)
        if lead is None:
            if len(found) == limit:
                continue
            lead = found[conversation.contact_id] = _lead(conversation.contact) | {
                "conversations": []
            }
        lead["conversations"].append(
            {
                "conversation_id": conversation.pk,
                "channel": conversation.channel,
                "bot": conversation.bot,
                "stage": conversation.stage,
                "status": conversation.status,
                "messages": row.message_count,
                "open_tickets": row.open_tickets,
                "last_activity": _when(conversation.activity),
            }
        )
    return {"query": redact_text(query), "leads": list(found.values())}


def conversation_summary(*, conversation_id: int, messages: int = 20) -> dict[str, Any]:
    """One conversation: its lead, where it stands, and its latest messages, redacted."""
    try:
        conversation = leads.conversation_with_contact(conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise ToolError(f"There is no conversation {conversation_id}.") from None
    latest, total = leads.latest_messages_of(
        conversation_id=conversation.pk, limit=min(max(messages, 1), MAX_MESSAGES)
    )
    tickets = leads.escalation_tickets_of(conversation=conversation) + leads.compliance_tickets_of(
        conversation=conversation
    )
    return {
        "conversation_id": conversation.pk,
        "lead": _lead(conversation.contact),
        "channel": conversation.channel,
        "bot": conversation.bot,
        "stage": conversation.stage,
        "status": conversation.status,
        "bot_paused": leads.is_bot_paused(conversation=conversation),
        "needs_human_review": conversation.needs_human_review,
        "first_response_seconds": conversation.first_response_seconds,
        "last_inbound_at": _when(conversation.last_inbound_at),
        "last_outbound_at": _when(conversation.last_outbound_at),
        "open_tickets": sum(ticket.status != TicketStatus.RESOLVED for ticket in tickets),
        # The latest ticket's hand-over summary, else the rule-based one (no model asked).
        "summary": redact_text(summaries.conversation_summary(conversation=conversation)),
        "message_count": total,
        "messages": [
            {
                "at": _when(message.sent_at),
                "from": "lead"
                if message.direction == Message.Direction.INBOUND
                else message.sender,
                "status": message.status,
                "text": redact_text(message.body),
            }
            for message in latest
        ],
    }


def business_summary() -> dict[str, Any]:
    """Leads by temperature, conversations by stage, and the deals with Jorge's commission."""
    pipeline = dashboard.pipeline_summary()
    commission = dashboard.commission_overview()
    year = commission.year_to_date
    return {
        "as_of": _when(pipeline["as_of"]),
        "leads_by_temperature": pipeline["leads_by_temperature"],
        "conversations_by_stage": pipeline["conversations_by_stage"],
        "deals_open": pipeline["deals_open"],
        "deals_won": pipeline["deals_won"],
        "commission_earned": _money(pipeline["commission_earned"]),
        "commission_pending_under_contract": _money(pipeline["commission_pending"]),
        "pipeline": {
            "open_deals": commission.pipeline.deals,
            "sale_value": _money(commission.pipeline.sale_value),
            "commission_if_all_close": _money(commission.pipeline.commission),
            "commission_weighted": _money(commission.pipeline.weighted),
        },
        "this_month": {
            "month": commission.this_month.month.isoformat(),
            "closed": _money(commission.this_month.closed),
            "weighted_open": _money(commission.this_month.weighted),
            "projected": _money(commission.this_month.total),
        },
        "year_to_date": {
            "year": year.year,
            "closed": _money(year.closed),
            "deals": year.deals,
            "goal": _money(year.goal),
            "goal_reached": round(float(year.goal_fraction), 4),
        },
    }


def open_tickets(*, limit: int = 20) -> dict[str, Any]:
    """Escalation and compliance tickets not resolved, soonest due first."""
    queue = dashboard.open_ticket_queue()
    return {
        "open": queue.open,
        "overdue": queue.overdue,
        "due_soon": queue.due_soon,
        "escalations": queue.escalations,
        "compliance": queue.compliance,
        "tickets": [
            {
                "kind": row.kind,
                "id": row.pk,
                "title": row.title,
                "summary": redact_text(row.summary),
                "urgency": row.urgency,
                "contact": row.contact,
                "status": row.status,
                "assignee": row.assignee,
                "due_at": _when(row.due_at),
                "overdue": row.overdue,
            }
            for row in queue.rows[: min(max(limit, 1), MAX_TICKETS)]
        ],
    }


def build_server() -> MCPServer:
    """The MCP server with its four tools (each runs its database reads in a worker thread)."""
    server = MCPServer("Jorge's business", instructions=INSTRUCTIONS, version="1")

    @server.tool(annotations=READ_ONLY)
    async def find_lead(query: str, limit: int = 10) -> dict[str, Any]:
        """Find leads by name (first or last name, or the start of it), phone number or email
        address. Returns each lead's qualification and conversations (ids for
        conversation_summary); phone and email are masked."""
        return await sync_to_async(find_leads)(query=query, limit=limit)

    @server.tool(name="conversation_summary", annotations=READ_ONLY)
    async def conversation_summary_tool(conversation_id: int, messages: int = 20) -> dict[str, Any]:
        """One conversation with a lead: its stage, status, bot, open tickets and its latest
        messages (at most 50), oldest first, with sensitive data redacted."""
        return await sync_to_async(conversation_summary)(
            conversation_id=conversation_id, messages=messages
        )

    @server.tool(name="pipeline_summary", annotations=READ_ONLY)
    async def pipeline_summary_tool() -> dict[str, Any]:
        """Jorge's pipeline and commission: leads by temperature, conversations by stage, open
        and won deals, commission earned and weighted, this month's projection and the year
        against its goal (US dollars)."""
        return await sync_to_async(business_summary)()

    @server.tool(name="open_tickets", annotations=READ_ONLY)
    async def open_tickets_tool(limit: int = 20) -> dict[str, Any]:
        """Escalations and compliance tickets waiting for a person, soonest due first, with how
        many are overdue."""
        return await sync_to_async(open_tickets)(limit=limit)

    return server


_server: MCPServer | None = None


def mcp_server() -> MCPServer:
    """The one MCP server of this process (its tools are built once)."""
    global _server
    if _server is None:
        _server = build_server()
    return _server
