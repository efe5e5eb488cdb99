"""`digigov govstack load`: the documented example fixture stands up registries, a service with its e-form, an
application decided through its task and a template, with the ids it names; a second load changes nothing."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digigov.blocks.identity.queries import api_client_by_name
from digigov.blocks.messaging.queries import template_list
from digigov.blocks.registries.models import RegistryDatabase, RegistryRecord
from digigov.blocks.services.models import Application, Service

FIXTURE = Path(__file__).resolve().parents[3] / "docs" / "govstack-fixture.json"
DEMO_CITIZEN = "S9443469F"  # the `make demo` nation's; the test nation has its own


@pytest.fixture
def fixture_file(nation, tmp_path):
    path = tmp_path / "fixture.json"
    path.write_text(FIXTURE.read_text().replace(DEMO_CITIZEN, nation.demo_citizen_national_id))
    return path


def test_the_documented_fixture_loads_with_its_ids(fixture_file):
    out = io.StringIO()
    call_command("govstack", "load", str(fixture_file), stdout=out)
    assert "Loaded 1 registries, 1 registry records, 1 services, 1 eforms, 1 applications, 1 tasks, 1 templates" in (
        out.getvalue()
    )
    data = json.loads(fixture_file.read_text())
    client = api_client_by_name(name="ssa-integration")
    assert client.account.agency.code == "SSA"
    database = RegistryDatabase.objects.get(pk=data["registries"][0]["id"])
    assert database.code == "CARERS"
    record = RegistryRecord.objects.get(pk=data["registries"][0]["records"][0]["id"])
    assert record.key == "CG-0001"
    service = Service.objects.get(public_id=data["services"][0]["id"])
    assert str(service.eform_id) == data["eforms"][0]["eFormId"]
    assert [f.key for f in service.fields.all()] == ["full_name", "care_recipient", "course", "course_fee"]
    application = Application.objects.get(pk=data["applications"][0]["fileId"])
    assert application.service == service
    assert application.status == "approved"  # decided through the fixture's task
    assert any(t.key == "ssa-caregiver-welcome" for t in template_list())


def test_a_second_load_is_refused_and_changes_nothing(fixture_file):
    call_command("govstack", "load", str(fixture_file), stdout=io.StringIO())
    before = (Application.objects.count(), RegistryRecord.objects.count(), Service.objects.count())
    with pytest.raises(CommandError):
        call_command("govstack", "load", str(fixture_file), stdout=io.StringIO())
    assert (Application.objects.count(), RegistryRecord.objects.count(), Service.objects.count()) == before


def test_a_malformed_fixture_is_refused_with_a_message(nation, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"client": {"name": "x-loader", "agency": "SSA"}, "templates": [{"subject": "no key"}]}))
    with pytest.raises(CommandError, match="documented shape|key"):
        call_command("govstack", "load", str(path), stdout=io.StringIO())
    assert api_client_by_name(name="x-loader") is None  # all or nothing, the client too
