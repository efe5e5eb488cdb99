"""Contract tests of the rules API: situations in, values or traces out; bad situations get a 400 naming
the bad variable, period or member in the one error shape."""

import pytest
from django.test import Client

SENIOR = {
    "persons": {"ana": {"birth_date": {"ETERNITY": "1955-04-02"}, "monthly_income": {"2025-06": 900}}},
    "households": {"home": {"parents": ["ana"], "housing_type": {"2025-06": "public_3room"}}},
}


def _post(path: str, body: dict):
    return Client().post(f"/api/rules/{path}", body, content_type="application/json")


def _with(situation: dict, entity: str, instance: str, variable: str, values: dict) -> dict:
    copy = {plural: {iid: dict(desc) for iid, desc in group.items()} for plural, group in situation.items()}
    copy[entity][instance][variable] = values
    return copy


@pytest.fixture
def db_ready(db):
    """The API touches the session and request-id middleware, which need the database."""


def test_calculate_fills_in_the_values_asked_for(db_ready):
    body = _with(SENIOR, "persons", "ana", "senior_support", {"2025-06": None})
    body["households"]["home"]["conservancy_rebate"] = {"2025-06": None}
    response = _post("calculate", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["persons"]["ana"]["senior_support"] == {"2025-06": 300}
    assert answer["households"]["home"]["conservancy_rebate"] == {"2025-06": 24}
    assert answer["persons"]["ana"]["monthly_income"] == {"2025-06": 900}  # inputs come back as given


def test_calculate_applies_the_parameters_in_force_for_each_period(db_ready):
    body = _with(SENIOR, "persons", "ana", "senior_support", {"2023-06": None, "2025-06": None})
    body["persons"]["ana"]["monthly_income"] = {"2023-06": 900, "2025-06": 900}
    body["households"]["home"]["housing_type"] = {"2023-06": "public_3room", "2025-06": "public_3room"}
    answer = _post("calculate", body).json()
    assert answer["persons"]["ana"]["senior_support"] == {"2023-06": 250, "2025-06": 300}


def test_calculate_without_households_gives_each_person_their_own(db_ready):
    body = {
        "persons": {
            "seeker": {
                "employment_status": {"2025-06": "unemployed"},
                "birth_date": {"ETERNITY": "1995-01-01"},
                "jobseeker_support": {"2025-06": None},
                "age": {"2025-06": None},
            }
        }
    }
    answer = _post("calculate", body).json()
    assert answer["persons"]["seeker"]["jobseeker_support"] == {"2025-06": 1000}
    assert answer["persons"]["seeker"]["age"] == {"2025-06": 30}


def test_calculate_returns_codes_and_dates_as_text(db_ready):
    body = {"persons": {"p": {"citizenship": {"2025-06": None}, "birth_date": {"ETERNITY": None}}}}
    answer = _post("calculate", body).json()
    assert answer["persons"]["p"]["citizenship"] == {"2025-06": "citizen"}
    assert answer["persons"]["p"]["birth_date"] == {"ETERNITY": "1970-01-01"}


def test_trace_names_the_dependencies_and_dated_parameters_used(db_ready):
    response = _post("trace", _with(SENIOR, "persons", "ana", "senior_support", {"2025-06": None}))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["requestedCalculations"] == ["senior_support<2025-06>"]
    assert answer["entitiesDescription"] == {"persons": ["ana"], "households": ["home"]}
    node = answer["trace"]["senior_support_eligible<2025-06>"]
    assert "income_per_head<2025-06>" in node["dependencies"]
    assert node["parameters"]["ssa.senior_support.income_per_head_ceiling<2025-06-01>"] == 2300
    assert node["value"] == [True]
    assert answer["trace"]["housing_type<2025-06>"]["value"] == ["public_3room"]


def test_variables_describe_each_variable(db_ready):
    response = Client().get("/api/rules/variables")
    assert response.status_code == 200
    by_name = {v["name"]: v for v in response.json()}
    assert by_name["baby_bonus"]["entity"] == "household"
    assert by_name["baby_bonus"]["definition_period"] == "month"
    assert by_name["baby_bonus"]["value_type"] == "float"
    assert by_name["baby_bonus"]["reference"]
    assert by_name["housing_type"]["possible_values"][0] == "public_1room"
    assert by_name["gst_voucher"]["definition_period"] == "year"
    assert by_name["jobseeker_support"]["formula_dates"] == ["2025-04-01"]
    assert by_name["monthly_income"]["is_input"] is True


def test_parameters_come_with_their_dated_histories(db_ready):
    response = Client().get("/api/rules/parameters")
    assert response.status_code == 200
    by_name = {p["name"]: p for p in response.json()}
    first = by_name["ssa.baby_bonus.amount.first"]
    assert [(h["start"], h["value"]) for h in first["history"]] == [("2015-09-01", 8000), ("2023-02-14", 11000)]
    assert "fictional" in first["history"][1]["reference"]
    assert first["reference"] and first["description"]
    threshold = by_name["hsg.housing_grant.amount[6].threshold"]
    assert [h["value"] for h in threshold["history"]] == [9001, 10001]


BAD_SITUATIONS = [
    pytest.param(
        _with(SENIOR, "persons", "ana", "pension_of_the_moon", {"2025-06": None}),
        "persons.ana.pension_of_the_moon",
        id="unknown variable",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "monthly_income", {"2025-13": 900}),
        "persons.ana.monthly_income.2025-13",
        id="bad period",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "senior_support", {"2025": None}),
        "persons.ana.senior_support.2025",
        id="month variable asked for a year",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "monthly_income", {"2025-06": "a lot"}),
        "persons.ana.monthly_income.2025-06",
        id="text for a number",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "has_disability", {"2025-06": "maybe"}),
        "persons.ana.has_disability.2025-06",
        id="text for a yes or no",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "citizenship", {"2025-06": "martian"}),
        "persons.ana.citizenship.2025-06",
        id="unknown code",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "birth_date", {"ETERNITY": "last spring"}),
        "persons.ana.birth_date.ETERNITY",
        id="not a date",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "housing_type", {"2025-06": "landed"}),
        "persons.ana.housing_type",
        id="variable of another entity",
    ),
    pytest.param(
        _with(SENIOR, "households", "home", "parents", ["ana", "zoe"]),
        "households.home.parents",
        id="unknown person in a role",
    ),
    pytest.param(
        _with(SENIOR, "persons", "ana", "annual_income", {"2025-06": 12000}),
        "persons.ana.annual_income.2025-06",
        id="year input given for a month",
    ),
]


@pytest.mark.parametrize(("situation", "field"), BAD_SITUATIONS)
@pytest.mark.parametrize("endpoint", ["calculate", "trace"])
def test_a_bad_situation_gets_a_400_naming_what_is_wrong(db_ready, endpoint, situation, field):
    response = _post(endpoint, situation)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "situation_invalid"
    assert field in error["fields"], error["fields"]


def test_an_unknown_entity_is_rejected_by_name(db_ready):
    response = _post("calculate", {**SENIOR, "companies": {"acme": {}}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "companies" in error["fields"]


def test_a_situation_without_persons_is_rejected(db_ready):
    response = _post("calculate", {"persons": {}})
    assert response.status_code == 400
    assert "persons" in response.json()["error"]["fields"]


def test_a_person_that_is_not_an_object_is_rejected(db_ready):
    response = _post("calculate", {"persons": {"ana": 42}})
    assert response.status_code == 400
    assert "persons.ana" in response.json()["error"]["fields"]


def test_the_rules_endpoints_are_in_the_openapi_document(db_ready):
    paths = Client().get("/api/openapi.json").json()["paths"]
    for path in ["/api/rules/calculate", "/api/rules/trace", "/api/rules/variables", "/api/rules/parameters"]:
        assert path in paths
