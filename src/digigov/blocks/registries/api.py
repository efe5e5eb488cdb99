import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from digigov.blocks.identity.api_auth import person_of
from digigov.blocks.registries import queries

router = Router(tags=["registries"])


class DataElementOut(Schema):
    key: str
    label: str
    data_type: str
    format: str
    classification: str
    owner_agency: str
    allowed_values: list[str]


class VerifiedValueOut(Schema):
    element: str
    value: Any
    agency: str
    verified_at: dt.datetime


@router.get("/data-elements", response=list[DataElementOut], auth=None, summary="The common data standard")
def data_elements(request: HttpRequest):
    return [
        {"key": e.key, "label": e.label, "data_type": e.data_type, "format": e.format,
         "classification": e.classification, "owner_agency": e.owner_agency.code, "allowed_values": e.allowed_values}
        for e in queries.element_list()
    ]


@router.get("/me/data", response=list[VerifiedValueOut], summary="The verified data the government holds about me")
def my_data(request: HttpRequest):
    values = queries.own_record_get(account=person_of(request))
    return [
        {"element": v.element, "value": v.value, "agency": v.agency_code, "verified_at": v.verified_at}
        for v in values.values()
    ]
