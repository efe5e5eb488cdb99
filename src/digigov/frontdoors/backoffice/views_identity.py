"""Service owners register the services that sign people in with DigiGov (OpenID Connect relying parties), and
change or disable their registration later (`?client=<client id>` is one client's page)."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.identity.oidc import clients as oidc_clients
from digigov.blocks.identity.oidc import queries as oidc_queries
from digigov.blocks.identity.oidc.claims import BUSINESS_SCOPE, SCOPE_CLAIMS
from digigov.blocks.identity.queries import officer_roles
from digigov.frontdoors.backoffice.decorators import officer_required
from digigov.platform.errors import NotFound, ValidationFailed

SCOPE_LABELS = {
    "profile": gettext_lazy("Profile: name, date of birth, sex"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Mobile number"),
    "address": gettext_lazy("Home address"),
    BUSINESS_SCOPE: gettext_lazy("Business: the business the person acts for, their roles and services there"),
}
SCOPE_CHOICES = [(s, SCOPE_LABELS[s]) for s in [*SCOPE_CLAIMS, BUSINESS_SCOPE]]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ClientForm(forms.Form):
    client_id = forms.SlugField(
        max_length=100,
        error_messages={
            "required": gettext_lazy("Enter a client id"),
            "invalid": gettext_lazy("Use letters, numbers, hyphens and underscores only"),
        },
    )
    name = forms.CharField(max_length=200, error_messages={"required": gettext_lazy("Enter the service's name")})
    purpose = forms.CharField(
        max_length=2000, error_messages={"required": gettext_lazy("Say what the service uses people's details for")}
    )
    redirect_uris = forms.CharField(
        max_length=4000, error_messages={"required": gettext_lazy("Enter at least one redirect URI")}
    )
    post_logout_redirect_uris = forms.CharField(max_length=4000, required=False)
    scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, required=False)
    jwks = forms.CharField(max_length=20000, required=False)
    jwks_uri = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": gettext_lazy("Enter a full https address")},
    )
    id_token_alg = forms.ChoiceField(choices=[(a, a) for a in oidc_actions.SIGNING_ALGS], initial="ES256")
    sandbox = forms.BooleanField(required=False)

    def clean_jwks(self) -> dict | None:
        text = self.cleaned_data["jwks"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Paste the JWKS as JSON")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Paste the JWKS as JSON"))
        return value


class ClientEditForm(ClientForm):
    """What a service owner may change after registration: not the client id, the sandbox flag or the ID
    token algorithm, which the service's own configuration depends on."""

    client_id = id_token_alg = sandbox = None

    @classmethod
    def initial_of(cls, client: Any) -> dict:
        return {
            "name": client.name,
            "purpose": client.purpose,
            "redirect_uris": "\n".join(client.redirect_uris),
            "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
            "scopes": [s for s in client.allowed_scopes if s != "openid"],
            "jwks": json.dumps(client.jwks, indent=2) if client.jwks else "",
            "jwks_uri": client.jwks_uri,
        }


def _field_errors(form: forms.Form) -> dict[str, str]:
    return {field: str(problems[0]) for field, problems in form.errors.items()}


def _client_page(request: HttpRequest, client_id: str) -> HttpResponse:
    """One client's page: edit its registration, disable or enable it."""
    officer = request.user
    client = oidc_queries.clients_for_agency(agency_id=officer.agency_id).filter(client_id=client_id).first()
    if client is None:
        raise Http404()
    form = ClientEditForm(request.POST or None, initial=ClientEditForm.initial_of(client))
    errors: dict[str, str] = {}
    here = f"{reverse('backoffice:oidc-clients')}?client={client.client_id}"
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision in ("disable", "enable"):
                change = oidc_clients.client_disable if decision == "disable" else oidc_clients.client_enable
                client = change(actor=officer, client_id=client.client_id)
                done = _("%(id)s is disabled.") if client.disabled_at else _("%(id)s is enabled.")
                messages.success(request, done % {"id": client.client_id})
                return redirect(here)
            if form.is_valid():
                data = form.cleaned_data
                oidc_clients.client_update(
                    actor=officer,
                    client_id=client.client_id,
                    name=data["name"],
                    purpose=data["purpose"],
                    redirect_uris=_lines(data["redirect_uris"]),
                    post_logout_redirect_uris=_lines(data["post_logout_redirect_uris"]),
                    scopes=["openid", *data["scopes"]],
                    jwks=data["jwks"],
                    jwks_uri=data["jwks_uri"],
                )
                messages.success(request, _("%(id)s is changed.") % {"id": client.client_id})
                return redirect(here)
            errors = _field_errors(form)
        except NotFound:
            raise Http404() from None
        except ValidationFailed as error:
            errors = {key: str(message) for key, message in error.fields.items()}
    return render(
        request,
        "backoffice/identity/client.html",
        {"client": client, "form": form, "errors": errors, "nav_active": "clients", "scope_choices": SCOPE_CHOICES},
        status=400 if errors else 200,
    )


@officer_required
@require_http_methods(["GET", "POST"])
def clients(request: HttpRequest) -> HttpResponse:
    officer = request.user
    if "service_owner" not in officer_roles(account=officer):
        raise Http404()  # registering who may receive people's data is for the agency's service owners
    if client_id := request.GET.get("client"):
        return _client_page(request, client_id)
    form = ClientForm(request.POST or None)
    errors: dict[str, str] = {}
    secret = registered = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                registered, secret = oidc_actions.client_register(
                    actor=officer,
                    client_id=data["client_id"],
                    name=data["name"],
                    agency=officer.agency,
                    purpose=data["purpose"],
                    redirect_uris=_lines(data["redirect_uris"]),
                    post_logout_redirect_uris=_lines(data["post_logout_redirect_uris"]),
                    scopes=["openid", *data["scopes"]],
                    jwks=data["jwks"],
                    jwks_uri=data["jwks_uri"],
                    id_token_alg=data["id_token_alg"],
                    is_sandbox=data["sandbox"],
                )
                form = ClientForm()
            except ValidationFailed as error:
                errors = {key: str(message) for key, message in error.fields.items()}
        else:
            errors = _field_errors(form)
    return render(
        request,
        "backoffice/identity/clients.html",
        {
            "form": form,
            "errors": errors,
            "secret": secret,
            "registered": registered,
            "clients": oidc_queries.clients_for_agency(agency_id=officer.agency_id),
            "nav_active": "clients",
            "scope_choices": SCOPE_CHOICES,
        },
        status=400 if errors else 200,
    )
