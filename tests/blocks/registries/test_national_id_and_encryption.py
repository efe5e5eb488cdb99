import pytest
from django.db import connection

from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries.queries import person_id_by_national_id


@pytest.mark.parametrize("value", ["S1234567D", "T1234567J", "T0123456G", "F1234567N", "G1234567X"])
def test_well_known_numbers_have_valid_check_letters(value):
    assert nid.is_valid(value)


@pytest.mark.parametrize("value", ["S1234567A", "S123456D", "X1234567D", "", "s1234567d ", "S12345678D"])
def test_wrong_check_letters_and_shapes_are_rejected(value):
    assert nid.is_valid(value) == (value.strip().upper() == "S1234567D")


def test_generated_numbers_validate():
    assert all(nid.is_valid(nid.make(prefix=p, number=n)) for p in "STFG" for n in range(0, 10_000_000, 999_983))


def test_a_person_is_found_by_national_id_through_the_blind_index(nation, citizen):
    assert person_id_by_national_id(national_id=nation.demo_citizen_national_id) == citizen.person_id
    assert person_id_by_national_id(national_id=nation.demo_citizen_national_id.lower()) == citizen.person_id
    assert person_id_by_national_id(national_id="S1234567A") is None


def test_national_ids_are_not_stored_in_clear_anywhere_in_the_person_table(nation, citizen):
    number = nation.demo_citizen_national_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registries_person WHERE id = %s", [citizen.person_id])
        row = cursor.fetchone()
    as_text = " ".join(bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v) for v in row)
    assert number not in as_text
    assert number.encode().hex() not in as_text
