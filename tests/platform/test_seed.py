from io import StringIO

import pyotp
import pytest
from django.core.management import call_command

from digigov.blocks.identity.actions import totp_verify
from digigov.blocks.identity.backends import account_for_sign_in_id
from digigov.blocks.identity.models import Account, OfficerRole
from digigov.blocks.identity.seeding import person_accounts_create
from digigov.blocks.registries import catalogue as registry_catalogue
from digigov.blocks.registries.models import Person
from digigov.blocks.services.catalogue import catalogue_load
from digigov.blocks.services.models import FormField, LifeEvent, Service
from digigov.platform.seeding import DEMO_PASSWORD, NationAlreadySeeded, demo_sign_ins_text, nation_seed

pytestmark = pytest.mark.django_db


def test_seeding_again_with_the_same_parameters_changes_nothing(nation):
    people, accounts = Person.objects.count(), Account.objects.count()
    again = nation_seed(residents=nation.residents, seed=nation.seed)
    assert not again.created
    assert again.demo_citizen_national_id == nation.demo_citizen_national_id
    assert (Person.objects.count(), Account.objects.count()) == (people, accounts)


def test_seeding_a_seeded_database_with_other_parameters_is_refused(nation):
    with pytest.raises(NationAlreadySeeded):
        nation_seed(residents=nation.residents + 1, seed=nation.seed)
    with pytest.raises(NationAlreadySeeded):
        nation_seed(residents=nation.residents, seed=nation.seed + 1)


def test_the_summary_counts_the_nation(nation):
    assert nation.residents == Person.objects.count()
    assert 0 < nation.households < nation.residents and nation.businesses > 0
    assert nation.demo_password == DEMO_PASSWORD


def test_demo_people_sign_in_with_their_national_id_and_the_demo_password(nation):
    for number in (nation.demo_citizen_national_id, nation.demo_spouse_national_id,
                   nation.demo_business_owner_national_id):
        account = account_for_sign_in_id(number)
        assert account is not None and account.kind == "person"
        assert account.check_password(DEMO_PASSWORD)


def test_every_agency_has_a_case_officer_a_supervisor_and_a_service_owner(nation):
    for code, *_rest in registry_catalogue.AGENCIES:
        for suffix, role in (("case", "case_officer"), ("supervisor", "supervisor"), ("owner", "service_owner")):
            account = Account.objects.get(username=f"{code.lower()}.{suffix}")
            assert account.kind == "officer" and account.agency.code == code
            assert OfficerRole.objects.filter(account=account, role=role).exists()
            assert account.check_password(DEMO_PASSWORD) and account.has_totp
    assert len(nation.officers) == 3 * len(registry_catalogue.AGENCIES)


def test_an_officer_passes_the_second_factor_with_a_code_from_the_printed_secret(nation):
    username, agency_code, roles, secret = next(o for o in nation.officers if o.username == "ssa.case")
    assert (agency_code, roles, len(secret)) == ("SSA", ["case_officer"], 32)
    account = Account.objects.get(username=username)
    assert totp_verify(account=account, code=pyotp.TOTP(secret).now())


def test_person_accounts_are_created_in_bulk_once(nation):
    ids = list(Person.objects.order_by("id").values_list("id", flat=True)[10:40])
    assert person_accounts_create(person_ids=ids, password="another-password-1") == 30
    assert person_accounts_create(person_ids=ids, password="another-password-1") == 0
    account = Account.objects.get(person_id=ids[0])
    assert account.username == f"person-{ids[0]}" and account.check_password("another-password-1")


def test_the_catalogue_groups_services_of_many_agencies_under_life_events(nation):
    slugs = list(LifeEvent.objects.order_by("order").values_list("slug", flat=True))
    assert slugs[:5] == ["having-a-baby", "starting-a-business", "moving-house", "retiring", "losing-a-job"]
    assert Service.objects.count() >= 12
    assert Service.objects.values("agency").distinct().count() >= 5
    assert not Service.objects.filter(life_events=None).exists()
    assert Service.objects.filter(offers_e_payment=False).exists()
    assert Service.objects.filter(offers_e_signature=False).exists()
    for service in Service.objects.all():
        assert 4 <= service.fields.count() <= 9, service.slug


def test_the_baby_bonus_form_prefills_verified_data_and_asks_the_rest(nation):
    fields = {f.key: f for f in FormField.objects.select_related("data_element").filter(service__slug="baby-bonus")}
    elements = {f.data_element.key for f in fields.values() if f.data_element_id}
    assert elements >= {"person.full_name", "person.national_id", "person.youngest_child_name",
                        "person.youngest_child_date_of_birth", "address.full", "person.email",
                        "household.monthly_income"}
    entered = [f for f in fields.values() if not f.data_element_id]
    assert any(f.field_type == "text" and "bank" in f.key for f in entered)
    assert any(f.field_type == "yesno" for f in entered)


def test_loading_the_catalogue_again_updates_rather_than_duplicates(nation):
    before = (LifeEvent.objects.count(), Service.objects.count(), FormField.objects.count())
    catalogue_load()
    assert (LifeEvent.objects.count(), Service.objects.count(), FormField.objects.count()) == before


def test_the_seed_command_prints_the_demo_sign_ins_when_already_seeded(nation):
    out = StringIO()
    call_command("seed", residents=nation.residents, seed=nation.seed, no_progress=True, stdout=out)
    text = out.getvalue()
    assert "nothing changed" in text and "Demo sign-ins" in text
    assert nation.demo_citizen_national_id in text and DEMO_PASSWORD in text
    assert "ssa.case" in text and "pyotp.TOTP(" in text
    assert demo_sign_ins_text() in text
