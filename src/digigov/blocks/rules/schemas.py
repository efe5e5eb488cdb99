from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class SituationIn(Schema):
    """A situation in OpenFisca web-API style: each variable maps periods to a value, or to null to compute it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "persons": {
                    "ana": {"birth_date": {"ETERNITY": "1955-04-02"}, "monthly_income": {"2025-06": 900}},
                    "ben": {"birth_date": {"ETERNITY": "2025-01-15"}},
                },
                "households": {
                    "home": {
                        "parents": ["ana"],
                        "children": ["ben"],
                        "housing_type": {"2025-06": "public_3room"},
                        "baby_bonus": {"2025-06": None},
                    }
                },
            }
        },
    )

    persons: dict[str, dict[str, Any]]
    households: dict[str, dict[str, Any]] = Field(default_factory=dict)


class VariableOut(Schema):
    name: str
    label: str
    entity: str
    definition_period: str
    value_type: str
    default_value: Any = None
    possible_values: list[str]
    reference: list[str]
    is_input: bool
    formula_dates: list[str]


class ParameterValueOut(Schema):
    start: str
    value: Any = None
    reference: str


class ParameterOut(Schema):
    name: str
    description: str
    reference: str
    unit: str
    history: list[ParameterValueOut]
