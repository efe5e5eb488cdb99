"""The citizen's offers in the portal: listed for their owner only, applied for through the service's own
(pre-filled) application, dismissed; nobody else can see or use them."""

import pytest
from django.test import Client
from django.urls import reverse

from digigov.blocks.rules.models import Offer
from digigov.blocks.services.queries import service_for_scheme
from tests.support import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(citizen, nation):
    service = service_for_scheme(scheme_key="baby_bonus")
    assert service is not None
    return Offer.objects.create(person_id=citizen.person_id, scheme_key="baby_bonus", service=service)


def test_my_offers_lists_the_persons_open_offer_with_apply_and_dismiss(citizen, offer):
    page = signed_in_client(citizen).get(reverse("portal:offers")).content.decode()
    assert "Baby bonus" in page
    assert reverse("portal:offer-apply", args=[offer.pk]) in page
    assert reverse("portal:offer-dismiss", args=[offer.pk]) in page


def test_applying_from_an_offer_opens_the_services_pre_filled_application(citizen, offer):
    client = signed_in_client(citizen)
    response = client.get(reverse("portal:offer-apply", args=[offer.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:apply", args=[offer.service.slug])
    started = client.get(response["Location"])
    # The service's own flow: consent to pre-fill from verified records, then the form.
    assert started.status_code == 302
    assert "/consent/" in started["Location"] or "/form/" in started["Location"]
    assert offer.service.name in client.get(started["Location"]).content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.APPLIED


def test_dismissing_an_offer_closes_it(citizen, offer):
    client = signed_in_client(citizen)
    response = client.post(reverse("portal:offer-dismiss", args=[offer.pk]))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DISMISSED
    page = client.get(reverse("portal:offers")).content.decode()
    assert reverse("portal:offer-apply", args=[offer.pk]) not in page
    assert "Dismissed" in page


def test_another_citizen_can_neither_see_nor_use_someone_elses_offer(other_citizen, offer):
    client = signed_in_client(other_citizen)
    assert reverse("portal:offer-apply", args=[offer.pk]) not in client.get(reverse("portal:offers")).content.decode()
    assert client.get(reverse("portal:offer-apply", args=[offer.pk])).status_code == 404
    assert client.post(reverse("portal:offer-dismiss", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED


def test_an_officer_and_a_visitor_cannot_open_offers(ssa_officer, offer):
    assert signed_in_client(ssa_officer).get(reverse("portal:offers")).status_code == 404
    visitor = Client().get(reverse("portal:offer-apply", args=[offer.pk]))
    assert visitor.status_code == 302 and "sign-in" in visitor["Location"]
