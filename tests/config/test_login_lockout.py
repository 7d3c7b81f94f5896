"""Guessing passwords stops working: after LOGIN_FAILURE_LIMIT wrong passwords an account, and a
client address, is refused for LOGIN_LOCKOUT_MINUTES, even with the right password, with a page
that says so (django-axes, counted in the database; docs/security.md)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command
from django.utils import timezone

from leads.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"


def _login(client, username, password, *, ip=ATTACKER, next_url=None):
    url = "/admin/login/" + (f"?next={next_url}" if next_url else "")
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(url, data, REMOTE_ADDR=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def jorge(db):
    return UserFactory(username="jorge", is_staff=True, is_superuser=True)


def test_twenty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_page(client, jorge):
    for attempt in range(20):
        _login(client, "jorge", f"guess-{attempt}")

    response = _login(client, "jorge", PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)
    page = response.content.decode()
    assert "Login paused" in page
    assert "15 minutes" in page
    assert "Access attempts" in page  # how staff unlock it
    assert response["Retry-After"] == "900"


def test_the_account_is_locked_from_every_address(client, jorge, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}", ip=ATTACKER)

    response = _login(client, "jorge", PASSWORD, ip=OFFICE)

    assert response.status_code == 429
    assert not _logged_in(client)


def test_one_address_guessing_many_accounts_is_locked_for_all_of_them(client, jorge, settings):
    UserFactory(username="maria", is_staff=True)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"staff{attempt}", "password123", ip=ATTACKER)

    assert _login(client, "maria", PASSWORD, ip=ATTACKER).status_code == 429
    assert not _logged_in(client)
    # Maria at the office is another client, and her account had no failures.
    assert _login(client, "maria", PASSWORD, ip=OFFICE).status_code == 302
    assert _logged_in(client)


def test_a_few_typos_do_not_lock_anyone_out(client, jorge, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "jorge", f"typo-{attempt}").status_code == 200

    assert _login(client, "jorge", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_the_dashboard_login_is_locked_too(client, jorge, settings):
    # The dashboard sends a visitor to the back office's login and back.
    assert client.get("/dashboard/")["Location"].startswith("/admin/login/?next=/dashboard/")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}", next_url="/dashboard/")

    response = _login(client, "jorge", PASSWORD, next_url="/dashboard/")

    assert response.status_code == 429
    assert client.get("/dashboard/").status_code == 302  # still sent to the login


def test_a_locked_out_client_cannot_reach_api_token_issuance(client, jorge, settings):
    # API tokens are issued only in the back office (Users and API access → API tokens), behind
    # this login: a guessed password never becomes a token.
    add_token = "/admin/leads/apitoken/add/"
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}", next_url=add_token)

    assert _login(client, "jorge", PASSWORD, next_url=add_token).status_code == 429
    response = client.post(add_token, {"name": "stolen", "user": jorge.pk, "scope": "read_write"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not ApiToken.objects.exists()


def test_after_the_cool_off_the_right_password_works_again(client, jorge, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}")
    assert _login(client, "jorge", PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = _login(client, "jorge", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


def test_staff_unlock_an_account_with_axes_reset_username(client, jorge, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}")
    assert _login(client, "jorge", PASSWORD).status_code == 429

    call_command("axes_reset_username", "jorge")

    assert _login(client, "jorge", PASSWORD, ip=OFFICE).status_code == 302


def test_staff_unlock_an_account_by_deleting_its_access_attempts_in_the_back_office(
    client, jorge, settings
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "jorge", f"guess-{attempt}")
    attempts = list(AccessAttempt.objects.filter(username="jorge").values_list("pk", flat=True))
    assert attempts
    staff = UserFactory(username="ana", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert "Access attempts" in client.get("/admin/").content.decode()

    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    client.logout()

    assert response.status_code == 302
    assert _login(client, "jorge", PASSWORD, ip=OFFICE).status_code == 302


def test_a_failed_login_never_stores_the_password_tried(client, jorge):
    _login(client, "jorge", "my-real-bank-password")

    attempt = AccessAttempt.objects.get(username="jorge")
    assert "my-real-bank-password" not in attempt.post_data
    assert attempt.ip_address == ATTACKER


def test_behind_a_trusted_proxy_each_visitor_is_counted_not_the_proxy(client, jorge, settings):
    settings.WEBCHAT_TRUSTED_PROXIES = 1
    UserFactory(username="maria", is_staff=True)
    proxy = "10.0.0.2"
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/",
            {"username": f"staff{attempt}", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )

    response = client.post(
        "/admin/login/",
        {"username": "maria", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=OFFICE,
    )

    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address=ATTACKER).count() == settings.AXES_FAILURE_LIMIT


def test_an_address_that_does_not_parse_is_a_wrong_password_not_a_server_error(
    client, jorge, settings
):
    settings.WEBCHAT_TRUSTED_PROXIES = 1

    response = client.post(
        "/admin/login/",
        {"username": "jorge", "password": "nope"},
        HTTP_X_FORWARDED_FOR="not-an-address",
    )

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_every_failed_login_stays_listed_for_staff_even_after_an_unlock(client, jorge, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        _login(client, "jorge", f"guess-{attempt}")
    call_command("axes_reset_username", "jorge")

    failures = AccessFailureLog.objects.filter(username="jorge")
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1
    assert failures.filter(locked_out=True).exists()
    assert {f.ip_address for f in failures} == {ATTACKER}
