import pytest

from compliance.models import AuditEvent
from compliance.selectors import audit_trail
from compliance.services import audit
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory


def test_audit_records_who_did_what_to_which_subject(db):
    contact = ContactFactory()

    audit(
        action="contact.opted_out",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        data={"keyword": "STOP"},
    )

    event = audit_trail(subject=contact).get()
    assert (event.actor, event.action, event.subject, event.data) == (
        "bot",
        "contact.opted_out",
        f"leads.contact:{contact.pk}",
        {"keyword": "STOP"},
    )


def test_a_human_decision_is_recorded_with_the_username(db):
    contact = ContactFactory()

    event = audit(action="bot.resumed", subject=contact, user=UserFactory(username="reviewer1"))

    assert (event.actor, event.actor_label) == ("human", "reviewer1")


def test_audit_events_cannot_be_rewritten_or_deleted(db):
    event = audit(action="x", subject=ContactFactory())

    event.action = "y"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "x"


def test_audit_trail_is_read_only_in_the_admin(db, client):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    event = audit(action="x", subject=ContactFactory())

    assert client.get("/admin/compliance/auditevent/").status_code == 200
    assert client.get("/admin/compliance/auditevent/add/").status_code == 403
    response = client.post(f"/admin/compliance/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_contact_page_shows_its_audit_history(db, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    contact = ContactFactory()
    audit(action="contact.opted_out", subject=contact, data={"keyword": "STOP"})

    response = client.get(f"/admin/leads/contact/{contact.pk}/change/")

    assert response.status_code == 200
    assert "contact.opted_out" in response.content.decode()
