"""The dashboard shell: who may open which page, the nav each user sees, and the browser code
served from our own static files."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.urls import reverse

from analytics.services import broadcast_dashboard_event, current_sequence
from leads.permissions import REVIEWERS_GROUP
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["overview", "leads", "conversations", "commission", "performance", "tickets"]


@pytest.fixture
def reviewer_client(client):
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    client.force_login(maria)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page_and_back(client, page):
    url = reverse(f"dashboard:{page}")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("page", PAGES)
def test_jorge_opens_every_page_and_the_nav_links_all_six(dashboard_client, page):
    response = dashboard_client.get(reverse(f"dashboard:{page}"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in PAGES:
        assert f'href="{reverse(f"dashboard:{name}")}"' in html
    assert 'aria-current="page"' in html


@pytest.mark.parametrize("page", [p for p in PAGES if p != "tickets"])
def test_a_reviewer_is_sent_to_the_tickets_panel_from_any_other_page(reviewer_client, page):
    response = reviewer_client.get(reverse(f"dashboard:{page}"))

    assert response.status_code == 302
    assert response.url == reverse("dashboard:tickets")


def test_a_reviewer_sees_the_tickets_panel_and_only_it_in_the_nav(reviewer_client):
    response = reviewer_client.get(reverse("dashboard:tickets"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("dashboard:tickets")}"' in html
    for name in PAGES[:-1]:
        assert f'href="{reverse(f"dashboard:{name}")}"' not in html


def test_a_logged_in_user_who_is_neither_staff_nor_reviewer_gets_403(client):
    client.force_login(UserFactory(username="visitor"))

    assert client.get(reverse("dashboard:overview")).status_code == 403
    assert client.get(reverse("dashboard:tickets")).status_code == 403


def test_htmx_and_plotly_are_served_from_our_static_files(dashboard_client):
    html = dashboard_client.get(reverse("dashboard:overview")).content.decode()

    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    assert finders.find("django_htmx/htmx-2.min.js")
    plotly = finders.find("vendor/plotly/plotly.min.js")
    assert plotly
    with open(plotly, "rb") as bundle:
        assert b"plotly.js" in bundle.read(400)


def test_every_page_carries_the_latest_live_event_number_for_its_socket_to_compare(
    dashboard_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_dashboard_event(kind="lead.new", data={"contact": 1})
        broadcast_dashboard_event(kind="lead.new", data={"contact": 2})

    for page in ["overview", "tickets", "commission"]:
        html = dashboard_client.get(reverse(f"dashboard:{page}")).content.decode()
        assert f'data-seq="{current_sequence()}"' in html
    assert current_sequence() >= 2
