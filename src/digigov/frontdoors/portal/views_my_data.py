"""The citizen's "Your data" pages: what government holds about them, who accessed it (filterable, as CSV)
and their decisions about sharing."""

import csv

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digigov.blocks.consent import queries as consent_queries
from digigov.blocks.registries import queries as registries
from digigov.frontdoors.portal.views import person_required

PAGE_ENTRIES = 200
CSV_ENTRIES = 10000


class AccessFilterForm(forms.Form):
    agency = forms.ChoiceField(required=False)
    date_from = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Enter the start date like 2026-01-31")},
    )
    date_to = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Enter the end date like 2026-01-31")},
    )

    def __init__(self, *args, agencies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("All agencies")), *((a.code, a.name) for a in agencies)]

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be the same as or after the start date"))
        return cleaned


def _filtered_entries(request: HttpRequest, *, limit: int) -> tuple[AccessFilterForm, list]:
    form = AccessFilterForm(request.GET or None, agencies=registries.agency_list().order_by("name"))
    if form.is_bound and not form.is_valid():
        return form, []
    values = form.cleaned_data if form.is_bound else {}
    entries = consent_queries.access_entries_for_account(
        account=request.user,
        agency_code=values.get("agency") or "",
        date_from=values.get("date_from"),
        date_to=values.get("date_to"),
        limit=limit,
    )
    return form, entries


def _labels() -> dict[str, str]:
    return {e.key: e.label for e in registries.element_list()}


@person_required
def my_data(request: HttpRequest) -> HttpResponse:
    labels = _labels()
    record = registries.own_record_get(account=request.user)
    held = sorted(
        (
            {
                "label": labels.get(key, key),
                "value": value.value,
                "agency": value.agency_name,
                "verified_at": value.verified_at,
            }
            for key, value in record.items()
        ),
        key=lambda row: row["label"],
    )
    form, entries = _filtered_entries(request, limit=PAGE_ENTRIES)
    accesses = [{"entry": e, "elements": [labels.get(k, k) for k in e.elements]} for e in entries]
    grants = [
        {"grant": g, "elements": [labels.get(k, k) for k in g.elements]}
        for g in consent_queries.grants_for_account(account=request.user)[:200]
    ]
    errors = {name: str(messages[0]) for name, messages in form.errors.items()} if form.is_bound else {}
    return render(
        request,
        "portal/my_data.html",
        {
            "held": held,
            "accesses": accesses,
            "grants": grants,
            "form": form,
            "errors": errors,
            "filtered": form.is_bound,
            "csv_query": request.GET.urlencode(),
            "nav_active": "my-data",
        },
        status=400 if errors else 200,
    )


def _csv_cell(value: str) -> str:
    # A cell starting with =, +, - or @ is run as a formula by spreadsheet programs (CSV injection).
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


@person_required
def my_data_access_csv(request: HttpRequest) -> HttpResponse:
    form, entries = _filtered_entries(request, limit=CSV_ENTRIES)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(str(m) for messages in form.errors.values() for m in messages),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    labels = _labels()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="who-accessed-my-data-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("When"),
            _("Who"),
            _("Agency"),
            _("Service"),
            _("Details"),
            _("Purpose"),
            _("Legal basis"),
            _("Consent reference"),
            _("Scope"),
        ]
    )
    for e in entries:
        writer.writerow(
            [
                _csv_cell(str(v))
                for v in (
                    timezone.localtime(e.accessed_at).isoformat(timespec="seconds"),
                    e.accessor,
                    e.agency_name,
                    e.service,
                    "; ".join(labels.get(k, k) for k in e.elements),
                    e.purpose,
                    e.legal_basis,
                    e.consent_reference,
                    _("Everyone's records") if e.population else _("Your record"),
                )
            ]
        )
    return response
