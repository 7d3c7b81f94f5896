"""The lead tallies: counts per temperature, source, language, timeline and budget that the
database keeps with every write to a contact, so the charts need not read every lead."""

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from analytics.models import LeadTally
from analytics.selectors import BUDGET_RANGES, LeadFilters, budget_range_of
from analytics.services import compact_lead_tallies, rebuild_lead_tallies
from leads.models import Contact, Language, Temperature, Timeline
from tests.leads.factories import ContactFactory

FIELDS = {"temperature": "temperature", "source": "source", "language": "language"}
FIELDS |= {"timeline": "timeline", "budget": "budget_max"}


def live_counts() -> dict[str, dict[str, int]]:
    """What the tallies must say: a GROUP BY over every lead that is not a test."""
    leads = Contact.objects.filter(is_test=False).order_by()
    counts = {}
    for dimension, field in FIELDS.items():
        rows = leads.values_list(field).annotate(n=Count("id")).values_list(field, "n")
        counts[dimension] = {"" if value is None else str(value): n for value, n in rows}
    return counts


@pytest.mark.django_db
class TestEveryKindOfWrite:
    def test_created_leads_are_counted_and_test_contacts_are_not(self):
        ContactFactory.create_batch(3, temperature=Temperature.HOT, source="Zillow")
        ContactFactory(temperature=Temperature.COLD, budget_max=450_000, language=Language.SPANISH)
        ContactFactory(temperature=Temperature.HOT, is_test=True)

        tallies = selectors.lead_tallies()
        assert tallies["temperature"] == {"hot": 3, "cold": 1}
        assert tallies["source"]["Zillow"] == 3
        assert tallies["budget"] == {"": 3, "450000": 1}
        assert tallies == live_counts()

    def test_saves_updates_and_deletes_move_the_counts(self):
        lead = ContactFactory(temperature=Temperature.COLD, timeline=Timeline.UNKNOWN)
        others = ContactFactory.create_batch(4, source="Open house", budget_max=300_000)

        lead.temperature = Temperature.HOT  # save(): every column written, two changed
        lead.timeline = Timeline.ASAP
        lead.save()
        Contact.objects.filter(pk=others[0].pk).update(source="Referral", budget_max=None)
        Contact.objects.filter(pk__in=[others[1].pk, others[2].pk]).update(is_test=True)
        Contact.objects.filter(pk=others[1].pk).update(is_test=False)  # back again
        others[3].delete()
        lead.first_name = "Renamed"  # a change to nothing tallied
        lead.save()

        tallies = selectors.lead_tallies()
        assert tallies["temperature"] == {"hot": 1, "cold": 2}  # one deleted, one a test
        assert tallies["timeline"]["asap"] == 1
        assert tallies["source"] == {"Referral": 1, "Open house": 1, "": 1}
        assert tallies == live_counts()

    def test_bulk_writes_are_counted(self):
        Contact.objects.bulk_create(
            Contact(ghl_contact_id=f"bulk{i}", temperature=Temperature.WARM, budget_max=10 * i)
            for i in range(50)
        )
        Contact.objects.filter(ghl_contact_id__in=["bulk1", "bulk2"]).delete()

        assert selectors.lead_tallies()["temperature"] == {"warm": 48}
        assert selectors.lead_tallies() == live_counts()

    def test_compaction_keeps_every_count_in_one_row_per_value(self):
        lead = ContactFactory(temperature=Temperature.COLD)
        ContactFactory.create_batch(5, temperature=Temperature.WARM)
        for temperature in (Temperature.WARM, Temperature.HOT, Temperature.COLD) * 3:
            lead.temperature = temperature
            lead.save()
        before = selectors.lead_tallies()
        rows_before = LeadTally.objects.count()

        removed = compact_lead_tallies()

        assert removed == rows_before
        assert selectors.lead_tallies() == before == live_counts()
        per_value = LeadTally.objects.values("dimension", "value").annotate(n=Count("id"))
        assert {row["n"] for row in per_value} == {1}  # at most one row per value
        assert not LeadTally.objects.filter(delta=0).exists()  # a value no lead has: gone
        assert compact_lead_tallies() == LeadTally.objects.count()  # again: nothing changes
        assert selectors.lead_tallies() == before

    def test_rebuild_recounts_from_the_contacts(self):
        ContactFactory.create_batch(3, source="Zillow")
        LeadTally.objects.create(dimension="source", value="Zillow", delta=40)  # a corruption

        rebuild_lead_tallies()

        assert selectors.lead_tallies() == live_counts()


@pytest.mark.django_db
class TestWhatReadsThem:
    def test_unfiltered_distributions_and_charts_match_the_live_counts_without_reading_leads(self):
        for budget in (None, 250_000, 299_999, 300_000, 999_999, 1_000_000, 5_000_000):
            ContactFactory(budget_max=budget, timeline=Timeline.ONE_TO_THREE, source="Zillow")
        ContactFactory(temperature=Temperature.HOT, source="")

        with CaptureQueriesContext(connection) as queries:
            budgets = selectors._budget_distribution(LeadFilters())
            timelines = selectors._timeline_distribution(LeadFilters())
            sources = selectors.lead_sources()
        assert not [q for q in queries if "leads_contact" in q["sql"]]

        # The same bars as the filtered path's SQL gives (a filter that keeps every lead).
        every_lead = LeadFilters(created_from=date(2000, 1, 1))
        assert budgets == selectors._budget_distribution(every_lead)
        assert timelines == selectors._timeline_distribution(every_lead)
        assert {bar.key: bar.count for bar in budgets}["1m-plus"] == 2
        assert sources == ["Zillow"]

    def test_every_budget_falls_in_exactly_the_range_its_filter_finds(self):
        for key, _, low, high in BUDGET_RANGES:
            edges = [edge for edge in (low, high and high - 1) if edge is not None] or [None]
            for budget in edges:
                lead = ContactFactory(budget_max=budget)
                assert budget_range_of(budget) == key
                assert Contact.objects.filter(selectors._budget_q(key), pk=lead.pk).exists()

    def test_the_hot_tile_and_the_temperature_chart_read_the_tallies(self):
        ContactFactory.create_batch(2, temperature=Temperature.HOT)
        ContactFactory(temperature=Temperature.COLD)
        ContactFactory(temperature=Temperature.HOT, is_test=True)

        assert selectors._overview_kpis(selectors.timezone.now()).hot_leads == 2
        charts = selectors._lead_charts(selectors.timezone.now())
        assert dict(charts.by_temperature) == {"Hot": 2, "Warm": 0, "Cold": 1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer at a time: no race to test"
)
def test_compaction_beside_concurrent_writers_loses_no_lead():
    stop = threading.Event()
    errors = []

    def write_leads(prefix):
        try:
            for i in range(60):
                lead = Contact.objects.create(ghl_contact_id=f"{prefix}{i}", source=prefix)
                lead.temperature = Temperature.HOT if i % 2 else Temperature.COLD
                lead.save()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def compact_until_stopped():
        try:
            while not stop.is_set():
                compact_lead_tallies()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write_leads, args=(name,)) for name in ("a", "b")]
    compactor = threading.Thread(target=compact_until_stopped)
    compactor.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    compactor.join()

    assert not errors
    assert selectors.lead_tallies() == live_counts()
    assert selectors.lead_tallies()["source"] == {"a": 60, "b": 60}
