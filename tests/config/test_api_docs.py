"""The API reference works offline: Swagger UI and Redoc come from our own static files,
and a visitor who is not logged in is offered the login."""

import re

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_a_visitor_who_is_not_logged_in_is_offered_the_login(client, url):
    response = client.get(url)

    assert response.status_code == 403
    page = response.content.decode()
    assert f'href="/admin/login/?next={url.replace("/", "%2F")}"' in page
    assert "Log in" in page


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        ("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_the_reference_loads_its_scripts_from_this_site_not_a_cdn(admin_client, url, asset):
    page = admin_client.get(url).content.decode()

    assert f"/static/{asset}" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert admin_client.get(f"/static/{asset}").status_code == 200  # and the site serves it


def test_the_login_link_leads_back_to_the_reference(client):
    UserFactory(username="jorge", is_staff=True)

    response = client.post(
        "/admin/login/?next=/api/docs/",
        {"username": "jorge", "password": PASSWORD, "next": "/api/docs/"},
    )

    assert response.status_code == 302 and response["Location"] == "/api/docs/"
    assert client.get("/api/docs/").status_code == 200
