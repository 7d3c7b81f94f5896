"""The audit trail reads in words: every action code the code writes has a label, and the
back office shows the labels, not the codes."""

import ast
from pathlib import Path

import pytest

from compliance.audit_labels import ACTION_LABELS, action_label, actor_label, subject_label
from compliance.models import AuditEvent
from compliance.services import audit
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ["leads", "buyers", "sellers", "compliance", "analytics"]
# Codes built at run time from a status: every status they can take.
DYNAMIC = {
    "cma.{report.status}": {"cma.pending", "cma.ready", "cma.insufficient", "cma.failed"},
    "booking.{status}": {"booking.failed", "booking.unknown"},
}


def _strings(node) -> set[str]:
    """The codes an expression can be: a string, either branch of ``a if c else b``, or an
    f-string built from a status (DYNAMIC)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.JoinedStr):
        template = ast.unparse(node)[2:-1]
        assert template in DYNAMIC, f"list the codes f'{template}' can be in DYNAMIC"
        return DYNAMIC[template]
    return set()


def _codes_in_source() -> set[str]:
    """Every audit action code the code can write, read from its source: the ``action=`` of
    any call (audit, and the helpers that pass it on), ``_audit(ctx, "code", ...)``, and
    ``action, data = "code", ...``."""
    codes: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "action":
                            codes |= _strings(keyword.value)
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name == "_audit" and len(node.args) > 1:
                        codes |= _strings(node.args[1])
                if (
                    isinstance(node, ast.Assign)
                    and isinstance(node.targets[0], ast.Tuple)
                    and getattr(node.targets[0].elts[0], "id", "") == "action"
                    and isinstance(node.value, ast.Tuple)
                ):
                    codes |= _strings(node.value.elts[0])
    return codes


def test_every_action_code_in_the_code_has_a_label():
    # Audit codes are "group.event"; argparse's action="store_true" is not one.
    written = {code for code in _codes_in_source() if "." in code}

    assert {"bot.turn", "escalation.opened", "message.queued", "cma.ready"} <= written
    unlabelled = sorted(written - ACTION_LABELS.keys())
    assert not unlabelled, f"add a label to compliance/audit_labels.py for: {unlabelled}"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("bot.turn", "Bot answered a message"),
        ("escalation.opened", "Escalation ticket opened"),
        ("message.deferred", "Message held for quiet hours"),
        ("bot.something_new", "Bot: something new"),  # a code without a label still reads
    ],
)
def test_action_codes_read_as_words(code, label):
    assert action_label(code) == label


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("send_message_once", "Sender (at most once)"),
        ("lead:ask_budget", "Lead bot · ask budget"),
        ("nurture:step2", "Follow-ups · step2"),
        ("keyword:STOP", "Keyword rule · STOP"),
        ("maria", "maria"),
    ],
)
def test_the_names_the_code_signs_with_read_as_words(label, shown):
    assert actor_label(label) == shown


def test_a_subject_reads_as_its_kind_and_number():
    assert subject_label("leads.conversation", "42") == "Conversation #42"
    assert subject_label("sellers.cmareport", "3") == "CMA report #3"


@pytest.mark.django_db
def test_the_audit_list_shows_labels_and_links_to_what_each_row_is_about(admin_client):
    conversation = ConversationFactory()
    audit(
        action="bot.turn",
        subject=conversation,
        actor=AuditEvent.Actor.BOT,
        actor_label="lead",
        data={"goal": "ask_budget", "followup": False},
    )
    audit(
        action="message.sent",
        subject=conversation,
        actor_label="send_message_once",
        data={"ghl_message_id": "m-1"},
    )

    page = admin_client.get("/admin/compliance/auditevent/").content.decode()

    assert "Bot answered a message" in page and "Message sent" in page
    assert "Bot · Lead bot" in page and "System · Sender (at most once)" in page
    assert f'<a href="/admin/leads/conversation/{conversation.pk}/change/">' in page
    assert "<dt>Goal</dt><dd>ask_budget</dd>" in page and "<dt>Followup</dt><dd>No</dd>" in page
    assert ">bot.turn<" not in page and ">send_message_once<" not in page


@pytest.mark.django_db
def test_an_audit_row_is_filtered_by_what_happened_in_words(admin_client):
    contact = ContactFactory()
    audit(action="contact.opted_out", subject=contact, user=UserFactory(username="maria"))
    audit(action="bot.resumed", subject=contact)

    response = admin_client.get("/admin/compliance/auditevent/", {"action": "contact.opted_out"})

    page = response.content.decode()
    assert "Contact opted out" in page  # the filter's choice, in words
    assert [e.action for e in response.context["cl"].queryset] == ["contact.opted_out"]


@pytest.mark.django_db
def test_a_contact_page_shows_its_audit_history_in_words(admin_client):
    contact = ContactFactory()
    audit(action="contact.opted_out", subject=contact, user=UserFactory(username="maria"))

    page = admin_client.get(f"/admin/leads/contact/{contact.pk}/change/").content.decode()

    assert "Contact opted out" in page and "maria" in page
