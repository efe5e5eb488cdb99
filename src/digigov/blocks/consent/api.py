import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from digigov.blocks.consent import queries
from digigov.blocks.identity.api_auth import person_of

router = Router(tags=["my data"])


class AccessRecordOut(Schema):
    accessed_at: dt.datetime
    accessor: str
    agency: str
    service: str
    elements: list[str]
    purpose: str
    legal_basis: str


@router.get("/me/access-records", response=list[AccessRecordOut], summary="Who accessed my data")
def access_records(request: HttpRequest):
    return [
        {"accessed_at": r.accessed_at, "accessor": r.accessor_label, "agency": r.agency.name,
         "service": r.service_ref, "elements": r.elements, "purpose": r.purpose, "legal_basis": r.legal_basis}
        for r in queries.access_records_for_account(account=person_of(request))[:1000]
    ]
