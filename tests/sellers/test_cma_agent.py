"""The CMA PDF carries the agent: Jorge's name, licence number, phone and photo or logo, set in
the admin, on a first page that goes straight on into the comparable sales."""

import io
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from compliance.models import AuditEvent
from leads import selectors
from leads.models import AgentProfile
from sellers.cma.pdf import MAX_PDF_BYTES
from sellers.models import SellerQualification
from sellers.services.cma import trigger_cma
from tests.leads.factories import ContactFactory
from tests.sellers.factories import PropertyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_today")]

URL = "/admin/leads/agentprofile/1/change/"


def _photo(size=(1600, 1600), mode="RGB", kind="JPEG", name="jorge.jpg") -> SimpleUploadedFile:
    """A photo as a phone takes one: far larger than the PDF needs."""
    out = io.BytesIO()
    Image.new(mode, size, (30, 90, 140) if mode == "RGB" else (30, 90, 140, 0)).save(out, kind)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{kind.lower()}")


def _save_profile(client, **changes):
    form = {
        "name": "Jorge Ramírez",
        "team": "Jorge's real-estate team",
        "licence_number": "DRE #01234567",
        "phone": "+19095550142",
        "email": "jorge@example.com",
        **changes,
    }
    return client.post(URL, form)


@pytest.fixture
def seller():
    PropertyFactory(mls_id="HOME", address="4200 Magnolia Avenue", days_ago=900)
    for n, price in enumerate((590_000, 600_000, 610_000, 620_000)):
        PropertyFactory(mls_id=f"COMP{n}", sold_price=price, days_ago=20 + 30 * n)
    contact = ContactFactory()
    SellerQualification.objects.create(
        contact=contact, address="4200 Magnolia Ave", city="Riverside"
    )
    return contact


def _cma_pages(contact, django_capture_on_commit_callbacks) -> list:
    with django_capture_on_commit_callbacks(execute=True):
        report = trigger_cma(contact=contact, by="seller_bot")
    report.refresh_from_db()
    with default_storage.open(report.pdf.name, "rb") as handle:
        data = handle.read()
    assert len(data) < MAX_PDF_BYTES
    return PdfReader(io.BytesIO(data)).pages


def _text(page) -> str:
    return " ".join(page.extract_text().split())


def test_the_first_page_carries_the_agent_set_in_the_admin_with_the_photo(
    admin_client, seller, django_capture_on_commit_callbacks
):
    admin_client.get("/admin/leads/agentprofile/")  # the row exists from the first visit
    response = _save_profile(admin_client, photo=_photo())
    assert response.status_code == 302

    pages = _cma_pages(seller, django_capture_on_commit_callbacks)

    first = _text(pages[0])
    assert "Jorge Ramírez" in first
    assert "Licence DRE #01234567" in first
    assert "(909) 555-0142" in first
    assert "jorge@example.com" in first
    [photo] = pages[0].images
    assert max(photo.image.size) <= 360  # scaled down for the page, not the phone's 1600 px


def test_the_first_page_goes_on_into_the_comparable_sales(
    seller, django_capture_on_commit_callbacks
):
    pages = _cma_pages(seller, django_capture_on_commit_callbacks)

    first = _text(pages[0])
    assert "4200 Magnolia Avenue, Riverside" in first
    assert "Comparable sales" in first  # no longer a cover page with nothing under it
    assert "COMP" not in first
    assert "Adjusted price" in first


def test_every_page_names_the_agent_and_licence_at_its_foot(
    admin_client, seller, django_capture_on_commit_callbacks
):
    admin_client.get("/admin/leads/agentprofile/")
    _save_profile(admin_client)

    pages = _cma_pages(seller, django_capture_on_commit_callbacks)

    assert len(pages) >= 2
    for page in pages:
        assert "Jorge Ramírez · Jorge's real-estate team · DRE #01234567" in _text(page)


def test_without_a_photo_the_initials_stand_in_and_the_pdf_still_renders(
    seller, django_capture_on_commit_callbacks
):
    AgentProfile.objects.create(pk=1, name="Jorge Ramírez")

    pages = _cma_pages(seller, django_capture_on_commit_callbacks)

    assert not pages[0].images
    assert "JR" in _text(pages[0]) and "Jorge Ramírez" in _text(pages[0])


def test_a_logo_with_a_transparent_background_keeps_it(
    admin_client, seller, django_capture_on_commit_callbacks
):
    admin_client.get("/admin/leads/agentprofile/")
    _save_profile(admin_client, photo=_photo(mode="RGBA", kind="PNG", name="logo.png"))

    pages = _cma_pages(seller, django_capture_on_commit_callbacks)

    [logo] = pages[0].images
    assert logo.image.mode in ("RGBA", "LA", "P")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"phone": "909 555 0142"}, "E.164"),
        (
            {"photo": SimpleUploadedFile("cv.pdf", b"%PDF-1.4", content_type="application/pdf")},
            "Upload a valid image",
        ),
    ],
)
def test_a_profile_the_pdf_cannot_use_is_refused(admin_client, changes, says):
    admin_client.get("/admin/leads/agentprofile/")

    response = _save_profile(admin_client, **changes)

    assert response.status_code == 200
    assert says in response.content.decode()
    assert selectors.agent_profile().licence_number == ""  # nothing saved


def test_a_photo_over_five_megabytes_is_refused(admin_client):
    admin_client.get("/admin/leads/agentprofile/")
    noise = Image.frombytes("RGB", (1500, 1500), os.urandom(1500 * 1500 * 3))  # PNG can't shrink it
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 5 * 1024 * 1024

    response = _save_profile(
        admin_client, photo=SimpleUploadedFile("huge.png", out.getvalue(), content_type="image/png")
    )

    assert response.status_code == 200
    assert "at most 5 MB" in response.content.decode()


def test_the_profile_is_one_row_changed_in_place_and_audited(admin_client):
    admin_client.get("/admin/leads/agentprofile/")

    _save_profile(admin_client)

    assert AgentProfile.objects.count() == 1
    assert admin_client.get("/admin/leads/agentprofile/add/").status_code == 403
    event = AuditEvent.objects.get(action="agent.profile_changed")
    assert event.data["licence_number"] == "DRE #01234567"
