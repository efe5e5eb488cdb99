"""The back office's proactive offers page: officers see their own agency's schemes only, with the latest scan's
offers counted by status and listed a page at a time, and every name shown is recorded as a read."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.rules.models import Offer
from digigov.blocks.rules.scan import scan_run
from digigov.blocks.rules.schemes import SCHEMES, SCHEMES_BY_KEY
from tests.support import officer_account

AS_OF = dt.date(2026, 6, 15)
SSA_SCHEMES = [s.key for s in SCHEMES if s.agency == "SSA"]
ROW = '<td class="govuk-table__cell"><strong class="govuk-tag'  # one per offer listed


@pytest.fixture
def scanned(nation):
    """A completed scan, with one SSA offer taken up and one dismissed since."""
    outcome = scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    ssa = Offer.objects.filter(scan=outcome.scan, scheme_key__in=SSA_SCHEMES).order_by("id")
    first, second = ssa[0], ssa[1]
    Offer.objects.filter(pk=first.pk).update(status=Offer.Status.APPLIED)
    Offer.objects.filter(pk=second.pk).update(status=Offer.Status.DISMISSED)
    return outcome.scan


def _offers_page(client: Client, **query) -> str:
    response = client.get(reverse("backoffice:offers"), query)
    assert response.status_code == 200
    return response.content.decode()


def _count_cells(html: str, scheme_key: str) -> list[int]:
    row = re.search(rf'<tr class="govuk-table__row" id="offers-count-{scheme_key}">(.*?)</tr>', html, re.S).group(1)
    return [int(value.replace(",", "")) for value in re.findall(r'numeric">([\d,]+)</td>', row)]


def test_an_officer_sees_their_agency_schemes_counted_by_status(scanned, signed_in):
    html = _offers_page(signed_in(officer_account("ssa.case")))
    for key in SSA_SCHEMES:
        offers = Offer.objects.filter(scan=scanned, scheme_key=key)
        expected = [offers.filter(status=status).count() for status in ("offered", "applied", "dismissed")]
        assert _count_cells(html, key) == [*expected, offers.count()]
    assert sum(sum(_count_cells(html, key)[1:3]) for key in SSA_SCHEMES) == 2  # one applied, one dismissed
    for scheme in SCHEMES:
        if scheme.agency != "SSA":
            assert f'id="offers-count-{scheme.key}"' not in html


def test_names_shown_are_recorded_as_reads_with_purpose_and_legal_basis(scanned, signed_in):
    officer = officer_account("ssa.case")
    html = _offers_page(signed_in(officer), scheme="senior_support")
    offered = Offer.objects.filter(scan=scanned, scheme_key="senior_support")
    assert offered.exists()
    records = AccessRecord.objects.filter(accessor_id=officer.pk, service_ref__startswith="offer:")
    shown = offered.order_by("id").values_list("person_id", flat=True)[:25]
    assert sorted(r.person_id for r in records) == sorted(shown)
    for record in records:
        assert record.elements == ["person.full_name"] and record.agency.code == "SSA"
        assert "Senior support" in record.purpose and record.legal_basis
    assert html.count('<td class="govuk-table__cell">Senior support</td>') == min(offered.count(), 25)


def test_the_list_is_paged_and_the_filter_is_kept_across_pages(scanned, signed_in):
    client = signed_in(officer_account("ssa.case"))
    total = Offer.objects.filter(scan=scanned, scheme_key__in=SSA_SCHEMES).count()
    assert total > 25, "the seeded nation gets more than a page of SSA offers"
    first = _offers_page(client)
    assert first.count(ROW) == 25 and 'rel="next"' in first
    last = _offers_page(client, page=(total + 24) // 25)
    assert last.count(ROW) == total - 25 * ((total - 1) // 25) and 'rel="next"' not in last


def test_a_filtered_list_keeps_its_filter_from_page_to_page(scanned, signed_in):
    client = signed_in(officer_account("rev.case"))
    assert Offer.objects.filter(scan=scanned, scheme_key="gst_voucher").count() > 25
    filtered = _offers_page(client, scheme="gst_voucher")
    assert 'href="?scheme=gst_voucher&amp;page=2" rel="next"' in filtered
    assert filtered.count('<td class="govuk-table__cell">GST voucher</td>') == 25
    second = _offers_page(client, scheme="gst_voucher", page=2)
    assert 'href="?scheme=gst_voucher&amp;page=1" rel="prev"' in second
    assert "Property tax rebate</td>" not in second


def test_officers_of_another_agency_see_nothing_of_these_offers(scanned, signed_in):
    officer = officer_account("hsg.case")
    client = signed_in(officer)
    assert client.get(reverse("backoffice:offers"), {"scheme": "senior_support"}).status_code == 404
    html = _offers_page(client)
    assert not any(f'id="offers-count-{key}"' in html for key in SSA_SCHEMES)
    assert "Senior support" not in html and "Baby bonus" not in html
    # The names read for this officer are of people offered the housing agency's own schemes only.
    read = set(AccessRecord.objects.filter(accessor_id=officer.pk).values_list("service_ref", flat=True))
    offered = {
        f"offer:{offer.pk}"
        for offer in Offer.objects.filter(scan=scanned)
        if SCHEMES_BY_KEY[offer.scheme_key].agency == "HSG"
    }
    assert read <= offered


def test_before_any_scan_the_page_says_so(nation, signed_in):
    html = _offers_page(signed_in(officer_account("ssa.case")))
    assert 'id="no-scan"' in html


def test_citizens_and_visitors_cannot_open_it(citizen, signed_in):
    assert signed_in(citizen).get(reverse("backoffice:offers")).status_code == 404
    response = Client().get(reverse("backoffice:offers"))
    assert response.status_code == 302 and "next=" in response["Location"]
