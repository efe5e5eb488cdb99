import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from digigov.blocks.consent import queries
from digigov.blocks.identity.api_auth import person_of
from digigov.platform.errors import ValidationFailed

router = Router(tags=["my data"])


class AccessRecordOut(Schema):
    accessed_at: dt.datetime
    accessor: str
    agency: str
    agency_code: str
    service: str
    elements: list[str]
    purpose: str
    legal_basis: str
    consent_reference: str
    population: bool


@router.get(
    "/me/access-records",
    response=list[AccessRecordOut],
    summary="Who accessed my data",
    description="Reads of your record and runs over everyone's records, newest first (at most 1000). "
    "Filter by agency code and by date (both ends included).",
)
def access_records(
    request: HttpRequest, agency: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
):
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(fields={"date_to": "The end date must be the same as or after the start date."})
    entries = queries.access_entries_for_account(
        account=person_of(request), agency_code=agency, date_from=date_from, date_to=date_to, limit=1000
    )
    return [
        {
            "accessed_at": e.accessed_at,
            "accessor": e.accessor,
            "agency": e.agency_name,
            "agency_code": e.agency_code,
            "service": e.service,
            "elements": e.elements,
            "purpose": e.purpose,
            "legal_basis": e.legal_basis,
            "consent_reference": e.consent_reference,
            "population": e.population,
        }
        for e in entries
    ]
