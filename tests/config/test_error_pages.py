"""With DEBUG off, a missing page and a server error get the site's own pages, in English
and Spanish, not Django's bare "Not Found" and "Server Error (500)"."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def test_a_missing_page_gets_the_branded_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "We couldn't find that page" in page
    assert "No encontramos esta página" in page
    assert "Jorge · Real-estate AI" in page
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    assert 'href="/"' in page
    assert "<h1>Not Found</h1>" not in page


def test_a_missing_report_or_listing_in_a_lead_link_gets_a_page_too(client):
    response = client.get("/sellers/cma/shared/not-a-token/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.urls("tests.config.urls_failing")
def test_a_server_error_gets_the_branded_500(client, caplog):
    client.raise_request_exception = False

    response = client.get("/fails/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "Algo salió mal de nuestro lado" in page
    assert "a bug" not in page  # nothing of the error reaches the visitor
    assert any("a bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)  # logged
