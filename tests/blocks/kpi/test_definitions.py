import pytest

from digigov.blocks.kpi import definitions
from digigov.blocks.kpi.actions import exclusion_record
from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.registries.queries import agency_list, element_list
from digigov.blocks.services.models import Service
from digigov.blocks.services.queries import prefill_request, service_list
from digigov.platform.errors import ValidationFailed


def _values(**filters) -> dict[str, definitions.KpiFigure]:
    return {f.kpi.id: f for f in definitions.kpi_list(**filters)}


@pytest.fixture
def known_events(nation, warehouse_dir, record_event):
    """A small, fully known set of transactions."""
    TransactionEvent.objects.all().delete()
    for score in (6, 5, 2, 1):
        record_event(kind="rated", satisfaction=score)
    record_event(kind="rated", satisfaction=5, audience="business", service_slug="register-business",
                 agency_code="BIZ")
    for days, online in ((1, True), (2, True), (3, True), (9, False)):
        record_event(kind="decided", digital_end_to_end=online, seconds_to_decision=days * 86400,
                     channel="online" if online else "counter")


def test_every_kpi_has_an_id_name_formula_and_target():
    assert set(definitions.KPIS) == {
        "citizen_satisfaction", "business_satisfaction", "e_payment", "e_signature", "prefill_services",
        "digital_end_to_end", "machine_readable_data", "median_days_to_decision", "officer_digital_literacy",
        "officer_data_analytics", "commercial_cloud", "cross_agency_projects", "data_fusion_days"}
    for kpi in definitions.KPIS.values():
        assert kpi.name and kpi.formula and kpi.target
        assert [bool(kpi.from_figures), bool(kpi.from_catalogue), bool(kpi.from_records)].count(True) == 1


def test_transaction_kpis_compute_the_expected_values_on_a_known_set(known_events):
    values = _values()
    assert (values["citizen_satisfaction"].value, values["citizen_satisfaction"].denominator) == (0.5, 4)
    assert values["citizen_satisfaction"].met is False
    assert values["business_satisfaction"].value == 1.0 and values["business_satisfaction"].met is True
    assert (values["digital_end_to_end"].numerator, values["digital_end_to_end"].denominator) == (3, 4)
    assert values["digital_end_to_end"].value == 0.75
    # Exact median of 1, 2, 3 and 9 days is 2.5 days; the histogram estimate is within 4%.
    assert values["median_days_to_decision"].value == pytest.approx(2.5, rel=0.04)
    assert values["median_days_to_decision"].met is None


def test_catalogue_kpis_count_active_services(nation, warehouse_dir):
    services = list(service_list())
    Service.objects.update(offers_e_payment=True, offers_e_signature=True)
    Service.objects.filter(slug=services[0].slug).update(offers_e_payment=False)
    Service.objects.filter(slug__in=[s.slug for s in services[:2]]).update(offers_e_signature=False)
    Service.objects.filter(slug=services[2].slug).update(is_active=False, offers_e_payment=False)
    values = _values()
    active = len(services) - 1
    assert (values["e_payment"].numerator, values["e_payment"].denominator) == (active - 1, active)
    assert values["e_signature"].numerator == active - 2
    prefilling = sum(1 for s in service_list() if prefill_request(service=s))
    assert (values["prefill_services"].numerator, values["prefill_services"].denominator) == (prefilling, active)
    assert values["e_payment"].period == "now" and values["e_payment"].met is False


def test_a_free_text_element_without_a_format_is_not_machine_readable(nation, warehouse_dir):
    from digigov.blocks.registries.models import DataElement

    before = _values()["machine_readable_data"]
    owner = agency_list().first()
    DataElement.objects.create(key="kpi.test.note", label="Note", data_type="string", classification="open",
                               owner_agency=owner)
    DataElement.objects.create(key="kpi.test.ref", label="Reference", data_type="string", format=r"^[A-Z]{3}\d{6}$",
                               classification="open", owner_agency=owner)
    after = _values()["machine_readable_data"]
    assert after.denominator == before.denominator + 2 == element_list().count()
    assert after.numerator == before.numerator + 1


def test_an_exclusion_removes_a_service_from_a_catalogue_kpi_and_is_listed(nation, warehouse_dir):
    slug = next(iter(service_list())).slug
    Service.objects.filter(slug=slug).update(offers_e_signature=False)
    before = _values()["e_signature"]
    exclusion_record(kpi_id="e_signature", service_slug=slug, reason="The Wills Act requires a witnessed signature.",
                     legal_reference="Wills Act s 6")
    after = _values()["e_signature"]
    assert (after.numerator, after.denominator) == (before.numerator, before.denominator - 1)
    assert after.exclusions == [{"service_slug": slug, "reason": "The Wills Act requires a witnessed signature.",
                                 "legal_reference": "Wills Act s 6"}]
    assert _values()["e_payment"].exclusions == []


def test_an_exclusion_removes_a_service_from_a_transaction_kpi(known_events):
    exclusion_record(kpi_id="business_satisfaction", service_slug="register-business", reason="Pilot service.")
    assert _values()["business_satisfaction"].denominator == 0
    assert _values()["business_satisfaction"].value is None


def test_an_exclusion_must_name_a_kpi_and_a_reason(nation):
    with pytest.raises(ValidationFailed) as error:
        exclusion_record(kpi_id="nope", reason=" ")
    assert set(error.value.fields) == {"kpi_id", "reason"}


def test_periods_filter_transactions(known_events):
    from django.utils import timezone

    this_month = timezone.localdate().strftime("%Y-%m")
    assert _values(period=this_month)["digital_end_to_end"].denominator == 4
    assert _values(period="2001-Q1")["digital_end_to_end"].denominator == 0
    assert definitions.period_parse(text="2026-Q3").end.isoformat() == "2026-09-30"
    with pytest.raises(ValidationFailed):
        definitions.period_parse(text="last week")
