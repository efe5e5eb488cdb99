"""Acting for a business: owners and directors administer it by right and appoint administrators; administrators
give employees access to named services with a role; nobody else can, and a revoked access ends at once."""

import pytest

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity import business_queries
from digigov.blocks.identity.backends import account_for_sign_in_id
from digigov.blocks.registries.queries import business_list_for_person
from digigov.platform.errors import NotFound, NotPermitted, ValidationFailed

SERVICE = "gst-registration"


@pytest.fixture
def owner(nation):
    return account_for_sign_in_id(nation.demo_business_owner_national_id)


@pytest.fixture
def business(owner):
    return business_list_for_person(person_id=owner.person_id).first()


def give_access(owner, business, nation, *, national_id=None, service=SERVICE, role="applicant"):
    return business_actions.employee_access_grant(
        actor=owner,
        uen=business.uen,
        national_id=national_id or nation.demo_citizen_national_id,
        service_slug=service,
        role=role,
    )


def test_the_owner_in_the_register_administers_the_business_by_right(owner, business):
    context = business_queries.business_context(account=owner, uen=business.uen)
    assert context.by_right and context.is_administrator
    assert context.claim() == {
        "uen": business.uen,
        "name": business.name,
        "roles": ["administrator"],
        "services": ["*"],
    }


def test_an_owner_gives_an_employee_access_to_one_service_with_one_role(owner, business, citizen, nation):
    give_access(owner, business, nation)
    context = business_queries.business_context(account=citizen, uen=business.uen)
    assert not context.is_administrator
    assert context.roles == ["applicant"] and context.services == [SERVICE]
    assert context.allows(service_slug=SERVICE, role="applicant")
    assert context.allows(service_slug=SERVICE, role="viewer")  # an applicant sees what they applied for
    assert not context.allows(service_slug="food-shop-licence", role="applicant")


def test_a_viewer_may_not_apply(owner, business, citizen, nation):
    give_access(owner, business, nation, role="viewer")
    context = business_queries.business_context(account=citizen, uen=business.uen)
    assert not context.allows(service_slug=SERVICE, role="applicant")


def test_an_appointed_administrator_may_give_access_but_not_appoint(owner, business, citizen, other_citizen, nation):
    business_actions.business_admin_grant(actor=owner, uen=business.uen, national_id=nation.demo_citizen_national_id)
    context = business_queries.business_context(account=citizen, uen=business.uen)
    assert context.appointed and not context.by_right
    give_access(citizen, business, nation, national_id=nation.demo_spouse_national_id)
    assert business_queries.business_context(account=other_citizen, uen=business.uen).services == [SERVICE]
    with pytest.raises(NotPermitted):
        business_actions.business_admin_grant(
            actor=citizen, uen=business.uen, national_id=nation.demo_spouse_national_id
        )


def test_someone_who_does_not_act_for_the_business_cannot_give_access(business, other_citizen, nation):
    with pytest.raises(NotFound):
        give_access(other_citizen, business, nation)


def test_an_employee_cannot_give_access(owner, business, citizen, nation):
    give_access(owner, business, nation)
    with pytest.raises(NotPermitted):
        give_access(citizen, business, nation, national_id=nation.demo_spouse_national_id)


def test_a_person_without_access_cannot_act_for_the_business(business, citizen):
    with pytest.raises(NotFound):
        business_queries.business_context(account=citizen, uen=business.uen)
    assert business_queries.business_context_by_id(account=citizen, business_id=business.pk) is None


def test_revoked_access_ends_at_once(owner, business, citizen, nation):
    access = give_access(owner, business, nation)
    business_actions.employee_access_revoke(actor=owner, uen=business.uen, access_id=access.pk)
    assert business_queries.business_context_by_id(account=citizen, business_id=business.pk) is None
    with pytest.raises(NotFound):  # taking it back twice finds nothing to take
        business_actions.employee_access_revoke(actor=owner, uen=business.uen, access_id=access.pk)


def test_a_removed_administrator_no_longer_administers(owner, business, citizen, nation):
    appointment = business_actions.business_admin_grant(
        actor=owner, uen=business.uen, national_id=nation.demo_citizen_national_id
    )
    business_actions.business_admin_revoke(actor=owner, uen=business.uen, appointment_id=appointment.pk)
    with pytest.raises(NotFound):
        give_access(citizen, business, nation, national_id=nation.demo_spouse_national_id)


def test_access_is_given_only_for_business_services_and_known_roles(owner, business, nation):
    with pytest.raises(ValidationFailed) as refused:
        give_access(owner, business, nation, service="baby-bonus", role="boss")
    assert set(refused.value.fields) == {"service", "role"}


def test_an_unknown_national_id_is_a_field_error(owner, business, nation):
    with pytest.raises(ValidationFailed) as refused:
        give_access(owner, business, nation, national_id="not-a-number")
    assert set(refused.value.fields) == {"national_id"}


def test_giving_the_same_access_twice_keeps_one(owner, business, nation):
    assert give_access(owner, business, nation).pk == give_access(owner, business, nation).pk


def test_every_change_is_audited(owner, business, nation):
    access = give_access(owner, business, nation)
    business_actions.employee_access_revoke(actor=owner, uen=business.uen, access_id=access.pk)
    appointment = business_actions.business_admin_grant(
        actor=owner, uen=business.uen, national_id=nation.demo_spouse_national_id
    )
    business_actions.business_admin_revoke(actor=owner, uen=business.uen, appointment_id=appointment.pk)
    actions = list(
        AuditEntry.objects.filter(object_type="business", object_id=business.uen)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "identity:business:access:grant",
        "identity:business:access:revoke",
        "identity:business:administrator:appoint",
        "identity:business:administrator:revoke",
    ]


def test_the_administrator_reading_employees_names_is_recorded_for_each_employee(owner, business, citizen, nation):
    give_access(owner, business, nation)
    context = business_queries.business_context(account=owner, uen=business.uen)
    people = business_queries.business_people(actor=owner, context=context)
    assert [p.role for p in people] == ["applicant"]
    record = AccessRecord.objects.filter(person_id=citizen.person_id, service_ref=f"business:{business.uen}").get()
    assert record.elements == ["person.full_name"] and record.accessor_id == owner.pk
