"""Blind-index key rotation: people stay findable by national ID before, during and after the indexes move
onto the new key, an interrupted run resumes, and pseudonyms handed to relying parties do not change."""

import io
import os

import pytest
from django.core.management import call_command

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.registries.bindings import NATIONAL_ID_CONTEXT, national_id_of
from digigov.blocks.registries.models import Person
from digigov.blocks.registries.queries import person_id_by_national_id
from digigov.platform import crypto
from digigov.platform.index_rotation import index_rotation_run


class Interrupted(Exception):
    pass


@pytest.fixture
def new_index_key(settings):
    """The operator's step before rotating: the new key becomes current, the old one previous."""
    old = settings.DIGIGOV_BLIND_INDEX_KEY
    settings.DIGIGOV_BLIND_INDEX_KEY = os.urandom(32)
    settings.DIGIGOV_BLIND_INDEX_KEY_PREVIOUS = [old]
    return old


def _national_ids() -> dict[int, str]:
    return {person.pk: national_id_of(person) for person in Person.objects.order_by("id")}


def _on_new_key(person_ids) -> set[int]:
    stored = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "national_id_index"))
    numbers = _national_ids()
    return {pk for pk in person_ids if stored[pk] == crypto.blind_index(value=numbers[pk], context=NATIONAL_ID_CONTEXT)}


def test_people_stay_findable_while_an_interrupted_rotation_resumes(nation, new_index_key, settings):
    numbers = _national_ids()
    assert not _on_new_key(numbers)  # nothing moved yet: found through the previous key
    assert all(person_id_by_national_id(national_id=n) == pk for pk, n in numbers.items())

    batches = 0

    def stop_after_two(_checked: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        index_rotation_run(batch=40, on_batch=stop_after_two)
    moved = _on_new_key(numbers)
    assert len(moved) == 80  # the two committed batches
    assert all(person_id_by_national_id(national_id=n) == pk for pk, n in numbers.items())

    report = index_rotation_run(batch=40)
    assert report.checked == len(numbers)
    assert report.rewritten == len(numbers) - 80
    assert _on_new_key(numbers) == set(numbers)
    settings.DIGIGOV_BLIND_INDEX_KEY_PREVIOUS = []  # the old key can go now
    assert all(person_id_by_national_id(national_id=n) == pk for pk, n in numbers.items())
    entry = AuditEntry.objects.filter(action="platform:keys:rotate-index").last()
    assert (entry.detail["checked"], entry.detail["rewritten"]) == (len(numbers), len(numbers) - 80)


def test_without_the_previous_key_nobody_is_found_until_rotated(nation, new_index_key, settings):
    settings.DIGIGOV_BLIND_INDEX_KEY_PREVIOUS = []
    assert person_id_by_national_id(national_id=nation.demo_citizen_national_id) is None
    out = io.StringIO()
    call_command("keys", "rotate-index", "--no-progress", stdout=out)
    assert "index(es) moved onto the current key" in out.getvalue()
    assert person_id_by_national_id(national_id=nation.demo_citizen_national_id) is not None


def test_pseudonyms_do_not_change_with_the_blind_index_key(nation, settings):
    before = crypto.pseudonym(value="sector|42", context=b"oidc.pairwise")
    index_before = crypto.blind_index(value="sector|42", context=b"oidc.pairwise")
    settings.DIGIGOV_BLIND_INDEX_KEY = os.urandom(32)
    assert crypto.pseudonym(value="sector|42", context=b"oidc.pairwise") == before
    assert crypto.blind_index(value="sector|42", context=b"oidc.pairwise") != index_before
