from typing import Any

from django.http import HttpRequest
from ninja import Router

from digigov.blocks.rules import engine
from digigov.blocks.rules.schemas import ParameterOut, SituationIn, VariableOut

# Public: these compute on situations the caller submits, never on anyone's registered data.
router = Router(tags=["rules"], auth=None)


def _situation(body: SituationIn) -> dict[str, Any]:
    situation = body.model_dump()
    if not situation["households"]:
        del situation["households"]  # OpenFisca then gives each person a household of their own
    return situation


@router.post(
    "/rules/calculate",
    response=dict[str, Any],
    summary="Compute the values asked for (null) in a situation",
    description="OpenFisca web-API style: the situation comes back with every null filled in.",
)
def calculate(request: HttpRequest, body: SituationIn):
    return engine.situation_calculate(situation=_situation(body))


@router.post(
    "/rules/trace",
    response=dict[str, Any],
    summary="Explain how the values asked for are computed",
    description="For each computed value: the variables it depends on and the dated parameters used.",
)
def trace(request: HttpRequest, body: SituationIn):
    return engine.situation_trace(situation=_situation(body))


@router.get("/rules/variables", response=list[VariableOut], summary="The nation's rules: every variable")
def variables(request: HttpRequest):
    return engine.variable_list()


@router.get("/rules/parameters", response=list[ParameterOut], summary="Every parameter with its dated history")
def parameters(request: HttpRequest):
    return engine.parameter_list()
