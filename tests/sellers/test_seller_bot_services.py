"""The seller qualification services: temperature rules, answers, stages, the cache, locks."""

import threading
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import OperationalError, connections, transaction

from compliance.models import AuditEvent
from leads.models import Conversation, Message, OutboxMessage
from leads.services.pipeline import handle_inbound_message
from sellers.extraction import SellerAnswers
from sellers.models import CMAReport, SellerQualification
from sellers.services.qualification import (
    SellerStageError,
    advance_stage,
    create_seller_opportunity,
    mark_seller_hot,
    record_seller_answers,
    seller_temperature,
)
from sellers.state import cache_key, cached_qualification, locked_qualification
from tests.factories import UserFactory
from tests.leads.factories import ConversationFactory, MessageFactory
from tests.sellers.factories import TODAY, PropertyFactory, SellerQualificationFactory

# 10:00 in Los Angeles (PST).
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 18, 0, tzinfo=UTC)

# --- Temperature ------------------------------------------------------------------------------

CMA = (570_000, 630_000)  # estimate range; +10 % over the top is 693,000
TEMPERATURES = [
    # timeline, motivation, price, has address, CMA range, nurture -> temperature
    ("asap", "relocation", 600_000, True, None, False, "hot"),
    ("1_3_months", "divorce", 600_000, True, CMA, False, "hot"),
    ("1_3_months", "divorce", 693_000, True, CMA, False, "hot"),  # the edge of "within range"
    ("1_3_months", "divorce", 700_000, True, CMA, False, "warm"),  # over the CMA: not hot
    ("asap", "other", 600_000, True, None, False, "warm"),  # no clear motivation
    ("asap", "relocation", None, True, None, False, "warm"),  # no price yet
    ("3_6_months", "", None, False, None, False, "warm"),  # within 6 months
    ("6_12_months", "inheritance", 600_000, True, None, False, "warm"),  # clear, with address
    ("6_12_months", "inheritance", 600_000, False, None, False, "cold"),
    ("12_plus_months", "", None, True, None, False, "cold"),
    ("unknown", "", None, False, None, False, "cold"),
    ("asap", "relocation", 600_000, True, None, True, "cold"),  # nurture after 3 stalls
]


@pytest.mark.parametrize(
    ("timeline", "motivation", "price", "has_address", "cma", "nurture", "expected"),
    TEMPERATURES,
)
def test_temperature_follows_the_documented_rules(
    timeline, motivation, price, has_address, cma, nurture, expected
):
    report = CMAReport(estimate_low=cma[0], estimate_high=cma[1]) if cma else None

    result = seller_temperature(
        timeline=timeline,
        motivation_kind=motivation,
        price_expectation=price,
        has_address=has_address,
        cma=report,
        nurture=nurture,
    )

    assert result.temperature == expected


def test_the_reasons_say_why():
    result = seller_temperature(
        timeline="1_3_months",
        motivation_kind="relocation",
        price_expectation=700_000,
        has_address=True,
        cma=CMAReport(estimate_low=570_000, estimate_high=630_000),
    )

    assert result.reasons == [
        "timeline within 90 days",
        "clear motivation: relocation",
        "price $700,000 above CMA range $570,000–$630,000",
    ]


# --- Answers ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_answer_recalculates_the_temperature_and_is_audited():
    qualification = SellerQualificationFactory(stage="q4_price", timeline="asap")
    assert qualification.temperature == "cold"  # as created, before any answer

    with transaction.atomic():
        locked = locked_qualification(contact=qualification.contact)
        changed = record_seller_answers(
            qualification=locked, answers=SellerAnswers(price=610_000), timeline="asap"
        )

    qualification.refresh_from_db()
    assert changed == ["price_expectation"]
    assert qualification.temperature == "hot"
    assert "clear motivation: relocation" in qualification.temperature_reasons
    event = AuditEvent.objects.get(action="seller.answers_recorded")
    assert event.data["price_expectation"] == 610_000
    assert (event.data["temperature_before"], event.data["temperature"]) == ("cold", "hot")


@pytest.mark.django_db
def test_an_answer_never_erases_what_the_seller_said_before():
    qualification = SellerQualificationFactory(price_expectation=650_000)

    with transaction.atomic():
        locked = locked_qualification(contact=qualification.contact)
        record_seller_answers(qualification=locked, answers=SellerAnswers(), timeline="unknown")

    qualification.refresh_from_db()
    assert (qualification.address, qualification.motivation_kind) == (
        "1234 Magnolia Ave",
        "relocation",
    )
    assert qualification.price_expectation == 650_000


# --- Stages ------------------------------------------------------------------------------------


@pytest.fixture
def seller_conversation(db):
    qualification = SellerQualificationFactory()
    conversation = ConversationFactory(contact=qualification.contact, bot="seller")
    return conversation, qualification


def test_staff_advance_a_seller_to_the_next_stage_audited_with_their_name(seller_conversation):
    conversation, qualification = seller_conversation
    jorge = UserFactory(username="jorge", is_staff=True)

    advance_stage(conversation=conversation, by=jorge)

    qualification.refresh_from_db()
    assert qualification.stage == "q3_condition"
    event = AuditEvent.objects.get(action="seller.stage_changed")
    assert (event.actor, event.actor_label) == ("human", "jorge")
    assert (event.data["from"], event.data["to"]) == ("q2_timeline", "q3_condition")


def test_advancing_past_the_last_question_qualifies_and_requests_the_cma(
    seller_conversation, django_capture_on_commit_callbacks
):
    conversation, qualification = seller_conversation
    SellerQualification.objects.filter(pk=qualification.pk).update(stage="q4_price")
    PropertyFactory.create_batch(4)
    jorge = UserFactory(username="jorge", is_staff=True)

    with time_machine.travel(MORNING, tick=False), django_capture_on_commit_callbacks(execute=True):
        advance_stage(conversation=conversation, by=jorge)

    qualification.refresh_from_db()
    conversation.refresh_from_db()
    assert qualification.stage == "qualified"
    assert conversation.stage == Conversation.Stage.QUALIFIED
    report = CMAReport.objects.get(contact=qualification.contact)
    assert report.address == "1234 Magnolia Ave"
    requested = AuditEvent.objects.get(action="cma.requested")
    assert requested.actor_label == "jorge"


def test_a_qualified_seller_has_no_next_stage(seller_conversation):
    conversation, qualification = seller_conversation
    SellerQualification.objects.filter(pk=qualification.pk).update(stage="qualified")

    with pytest.raises(SellerStageError):
        advance_stage(conversation=conversation, by="dashboard")
    assert not AuditEvent.objects.filter(action="seller.stage_changed").exists()


def test_a_seller_in_nurture_goes_back_to_the_first_open_question(seller_conversation):
    conversation, qualification = seller_conversation
    SellerQualification.objects.filter(pk=qualification.pk).update(stage="nurture", stall_count=3)

    advance_stage(conversation=conversation, by="dashboard")

    qualification.refresh_from_db()
    assert qualification.stage == "q2_timeline"  # address and motivation are known


def test_the_admin_action_advances_the_selected_sellers(admin_client, seller_conversation):
    _, qualification = seller_conversation

    response = admin_client.post(
        "/admin/sellers/sellerqualification/",
        {"action": "advance_seller_stage", "_selected_action": [qualification.pk]},
    )

    assert response.status_code == 302
    qualification.refresh_from_db()
    assert qualification.stage == "q3_condition"


def test_the_admin_generates_a_cma_of_the_selected_sellers_home(admin_client, seller_conversation):
    _, qualification = seller_conversation

    with time_machine.travel(MORNING, tick=False):
        admin_client.post(
            "/admin/sellers/sellerqualification/",
            {"action": "generate_cma", "_selected_action": [qualification.pk]},
        )

    report = CMAReport.objects.get(contact=qualification.contact)
    assert (report.address, report.city) == ("1234 Magnolia Ave", "Riverside")


def test_the_admin_lists_sellers_with_their_stage_and_temperature(
    admin_client, seller_conversation
):
    response = admin_client.get("/admin/sellers/sellerqualification/")

    assert response.status_code == 200
    assert b"Q2 \xc2\xb7 timeline" in response.content


# --- The cache ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reads_go_through_the_cache_and_a_write_invalidates_it_on_commit(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    qualification = SellerQualificationFactory()
    contact_id = qualification.contact_id

    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        cached_qualification(contact_id=contact_id)
    with django_assert_num_queries(0):
        assert cached_qualification(contact_id=contact_id).address == "1234 Magnolia Ave"

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = locked_qualification(contact=qualification.contact)
        record_seller_answers(qualification=locked, answers=SellerAnswers(price=640_000))

    assert cached_qualification(contact_id=contact_id).price_expectation == 640_000


@pytest.mark.django_db
def test_a_reader_cannot_put_back_a_copy_older_than_a_write(django_capture_on_commit_callbacks):
    qualification = SellerQualificationFactory()
    contact_id = qualification.contact_id
    # A reader loads the row, then a write commits before the reader stores its copy.
    with django_capture_on_commit_callbacks() as reader_store:
        stale = cached_qualification(contact_id=contact_id)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = locked_qualification(contact=qualification.contact)
        record_seller_answers(qualification=locked, answers=SellerAnswers(price=640_000))
    for callback in reader_store:
        callback()

    assert stale.price_expectation is None
    assert cached_qualification(contact_id=contact_id).price_expectation == 640_000


@pytest.mark.django_db
def test_the_database_is_the_truth_after_a_restart(django_capture_on_commit_callbacks):
    qualification = SellerQualificationFactory(price_expectation=700_000)
    with django_capture_on_commit_callbacks(execute=True):
        cached_qualification(contact_id=qualification.contact_id)

    cache.clear()  # a restarted Redis, or a new process

    assert cached_qualification(contact_id=qualification.contact_id).price_expectation == 700_000


@pytest.mark.django_db
def test_the_bot_decides_from_the_database_never_from_a_stale_cached_copy(
    django_capture_on_commit_callbacks,
):
    qualification = SellerQualificationFactory(stage="q3_condition", timeline="3_6_months")
    conversation = ConversationFactory(
        contact=qualification.contact,
        bot="seller",
        bot_state={"seller": {"pending": "q3_condition", "asked": {"q3_condition": 1}}},
    )
    stale = SellerQualification(contact=qualification.contact, stage="q0_address")
    cache.set(cache_key(qualification.contact_id), stale)
    message = MessageFactory(conversation=conversation, body="It's move-in ready, we live there")

    with time_machine.travel(MORNING, tick=False), django_capture_on_commit_callbacks(execute=True):
        outcome = handle_inbound_message(message_id=message.pk)

    assert "price in mind" in outcome.reply.body  # Q4, not the address again
    qualification.refresh_from_db()
    assert (qualification.condition, qualification.stage) == ("move_in_ready", "q4_price")


# --- Hot sellers -------------------------------------------------------------------------------


def test_the_opportunity_is_created_once_even_when_the_task_runs_twice(
    seller_conversation, settings, django_capture_on_commit_callbacks
):
    settings.GHL_SELLER_PIPELINE_ID = "pipe-sellers"
    conversation, qualification = seller_conversation
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        locked = locked_qualification(contact=qualification.contact)
        deal, created = mark_seller_hot(qualification=locked, conversation=conversation)
        again, created_again = mark_seller_hot(qualification=locked, conversation=conversation)

    assert created and not created_again and again == deal
    first = create_seller_opportunity(deal_id=deal.pk)
    second = create_seller_opportunity(deal_id=deal.pk)

    assert first and first == second
    assert OutboxMessage.objects.filter(operation="create_opportunity").count() == 1
    qualification.refresh_from_db()
    assert qualification.ghl_opportunity_id == first
    assert callbacks  # the task and the dashboard event wait for the commit


# --- Concurrency -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_messages_handled_at_once_keep_both_answers(django_capture_on_commit_callbacks):
    with time_machine.travel(MORNING, tick=False):
        qualification = SellerQualificationFactory(
            stage="q0_address", address="", city="", motivation="", motivation_kind=""
        )
        conversation = ConversationFactory(
            contact=qualification.contact,
            bot="seller",
            bot_state={"seller": {"pending": "q0_address", "asked": {"q0_address": 1}}},
        )
        messages = [
            MessageFactory(conversation=conversation, body="1234 Magnolia Ave, Riverside"),
            MessageFactory(conversation=conversation, body="We're relocating for work"),
        ]
    barrier = threading.Barrier(len(messages))
    results, errors = [], []

    def handle(message_id: int):
        try:
            barrier.wait()
            for _attempt in range(50):
                try:
                    with time_machine.travel(MORNING, tick=False):
                        results.append(handle_inbound_message(message_id=message_id).result)
                    return
                except OperationalError:
                    # SQLite refuses a second writer ("table is locked"): the Celery task
                    # retries, as here. PostgreSQL makes the second run wait for the lock.
                    time.sleep(0.05)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=handle, args=(m.pk,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # One worker may answer both in order (the other finds its message answered).
    assert "replied" in results and len(results) == 2
    qualification = SellerQualification.objects.get()
    assert (qualification.address, qualification.motivation_kind) == (
        "1234 Magnolia Ave",
        "relocation",
    )
    assert qualification.stage == "q2_timeline"
    assert Message.objects.filter(direction="outbound").count() == 2
    conversation.refresh_from_db()
    assert conversation.bot_state["seller"]["pending"] == "q2_timeline"
