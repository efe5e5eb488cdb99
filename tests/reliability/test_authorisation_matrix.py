"""Authorisation matrix: every route of the API and the pages that takes an object id, tried as the owner, as
another citizen, as an officer of another agency and anonymously. Only the allowed ones get through.

Routes are found by walking Django's URL resolver (the API's methods come from its OpenAPI document), so a new
endpoint is covered as soon as it exists: an id-taking route missing from RULES fails the test until someone
states who may use it.

"Got through" means anything but 401, 403, 404 or a redirect to sign-in; the owner may still be refused by the
object's state (409, 400), which is not an authorisation answer. Nobody ever gets a 5xx.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.support import entered_answers, officer_account, signed_in_client

ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")  # path("<uuid:x>") and re_path("(?P<x>...)") alike
ACTORS = ("anonymous", "other_citizen", "other_agency_officer", "owner")
PUBLIC = ACTORS


@dataclass(frozen=True)
class Rule:
    """Who may use a route: `obj` names the object whose id fills the route; `methods` maps each method to the
    body sent (valid, so that refusal can only come from authorisation); `allowed` lists the actors let in;
    `extra` fills the route's other parameters."""

    obj: str
    methods: dict = field(default_factory=lambda: {"GET": None})
    allowed: tuple[str, ...] = ("owner",)
    extra: dict = field(default_factory=dict)


RULES: dict[str, Rule] = {
    # API: a person's own applications
    "api:my_application": Rule("application"),
    "api:respond": Rule("application", {"POST": {"response": "Here is the document you asked for."}}),
    "api:rate": Rule("application", {"POST": {"score": 5, "comment": ""}}),
    # API: case work, for officers of the agency that owns the service
    "api:claim": Rule("task", {"POST": None}),
    "api:decide": Rule("task", {"POST": {"outcome": "approve", "reason": ""}}),
    "api:decisions": Rule("task"),
    "api:reverse": Rule("decision", {"POST": {"reason": "Approved in error."}}),
    # Back office pages
    "backoffice:task": Rule("task"),
    "backoffice:task-claim": Rule("task", {"POST": {}}),
    "backoffice:task-decide": Rule("task", {"POST": {"outcome": "approve", "reason": ""}}),
    "backoffice:decision-reverse": Rule("decision", {"POST": {"reason": "Approved in error."}}),
    # Policy simulations: the agency's supervisors and service owners only
    "backoffice:policy-run": Rule("policy_run"),
    "backoffice:policy-download": Rule("policy_run", extra={"table": "schemes", "fmt": "csv"}),
    # Portal pages: a person's own applications, messages, offers and app permissions
    "portal:application": Rule("application"),
    "portal:consent": Rule("application", {"GET": None, "POST": {"decision": "granted"}}),
    "portal:form": Rule("application", {"GET": None, "POST": {"action": "submit", "idempotency_key": "matrix-1"}}),
    "portal:submitted": Rule("application"),
    "portal:respond": Rule("application", {"POST": {"response": "Here it is."}}),
    "portal:rate": Rule("application", {"POST": {"score": "5"}}),
    "portal:message": Rule("message"),
    "portal:offer-apply": Rule("offer"),
    "portal:offer-dismiss": Rule("offer", {"POST": {}}),
    "portal:app-access-revoke": Rule("app_consent", {"POST": {}}),
    # Public catalogue entries (not personal data): everyone may read them.
    "portal:kpi-detail": Rule("kpi", allowed=PUBLIC),
}


def _takes_an_id(route: str) -> bool:
    return any(conv in {"uuid", "int"} or name.endswith("_id") for conv, name in ROUTE_PARAM.findall(route))


def _id_param(route: str) -> str:
    return next(name for conv, name in ROUTE_PARAM.findall(route) if conv in {"uuid", "int"} or name.endswith("_id"))


def _routes() -> dict[str, str]:
    """{namespaced URL name: route} for every route that takes an object id."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)

    found: dict[str, str] = {}
    for name, route in walk(get_resolver().url_patterns):
        if _takes_an_id(route):
            assert name not in found, f"two id-taking routes share the name {name}: name one of them"
            found[name] = route
    return found


def _openapi_methods(route: str) -> set[str]:
    from digigov.platform.api import api

    path = "/" + ROUTE_PARAM.sub(lambda m: "{" + m.group(2) + "}", route)
    return {m.upper() for m in api.get_openapi_schema()["paths"].get(path, {})}


def test_every_id_taking_route_is_classified():
    routes = _routes()
    assert "portal:application" in routes  # the walk finds pages
    assert "api:my_application" in routes  # and the API
    unclassified = sorted(set(routes) - set(RULES))
    assert unclassified == [], f"say who may use these routes in RULES: {unclassified}"
    gone = sorted(set(RULES) - set(routes))
    assert gone == [], f"these routes no longer exist: {gone}"


def test_every_api_method_is_covered():
    routes = _routes()
    missing = {
        name: _openapi_methods(routes[name]) - set(rule.methods)
        for name, rule in RULES.items()
        if name.startswith("api:") and name in routes
    }
    assert {name: methods for name, methods in missing.items() if methods} == {}


# --- the objects and their owners -----------------------------------------------------------------------------
# Each builder makes one object and says who owns it: a person (the citizen), an agency (the social support
# agency, SSA), or nobody (public).


def _application(w) -> tuple[str, str]:
    return str(w.submitted_application.pk), "person"


def _task(w) -> tuple[str, str]:
    from digigov.blocks.workflow import actions as workflow_actions
    from digigov.blocks.workflow.queries import task_list_for_officer

    application = w.submitted_application
    w.deliver_events()
    officer = w.ssa_officer
    task = next(t for t in task_list_for_officer(officer=officer) if t.application_id == application.pk)
    # Claimed by the owning agency's officer, so that deciding it is up to authorisation alone.
    workflow_actions.task_claim(officer=officer, task=task)
    return str(task.pk), "agency"


def _decision(w) -> tuple[str, str]:
    from digigov.blocks.services.actions import application_apply
    from digigov.blocks.workflow import actions as workflow_actions
    from digigov.blocks.workflow.queries import task_list_for_officer

    application, _created = application_apply(
        account=w.citizen,
        service=w.baby_bonus,
        answers=entered_answers(w.baby_bonus),
        consent_to_prefill=False,
        idempotency_key="matrix-decided-1",
    )
    w.deliver_events()
    task = next(t for t in task_list_for_officer(officer=w.ssa_officer) if t.application_id == application.pk)
    workflow_actions.task_claim(officer=w.ssa_officer, task=task)
    return str(workflow_actions.task_decide(officer=w.ssa_officer, task=task, outcome="approve").pk), "agency"


def _message(w) -> tuple[str, str]:
    from digigov.blocks.messaging.queries import inbox_for_account

    assert w.submitted_application  # its acknowledgement is the message
    w.deliver_events()
    return str(inbox_for_account(account=w.citizen).first().pk), "person"


def _offer(w) -> tuple[str, str]:
    from digigov.blocks.rules.models import Offer

    offer = Offer.objects.create(person_id=w.citizen.person_id, scheme_key="matrix-scheme", service=w.baby_bonus)
    return str(offer.pk), "person"


def _app_consent(w) -> tuple[str, str]:
    """A person's standing agreement to let a relying party (signing in with DigiGov) get their details."""
    from digigov.blocks.identity.models import OidcClient, OidcConsent

    client = OidcClient.objects.create(
        client_id="matrix-relying-party",
        name="Matrix relying party",
        agency=w.baby_bonus.agency,
        purpose="Testing",
        sector_identifier="matrix.example",
        allowed_scopes=["openid"],
    )
    from digigov.blocks.consent.actions import consent_decide

    grant = consent_decide(
        account=w.citizen, requester_agency=client.agency, purpose_ref=f"oidc:{client.client_id}",
        purpose=client.purpose, elements=[], granted=True,
    )
    consent = OidcConsent.objects.create(account=w.citizen, client=client, scopes=["openid"], consent_grant_id=grant.pk)
    return str(consent.pk), "person"


def _policy_run(w) -> tuple[str, str]:
    from digigov.blocks.rules.reform import example_reforms, reform_parse
    from digigov.blocks.rules.simulation import simulation_run

    w.settings.DIGIGOV_WAREHOUSE_DIR = w.tmp_path
    text = next(iter(example_reforms().values()))
    run = simulation_run(actor=None, reform=reform_parse(text=text), agency_code=w.ssa_officer.agency.code)
    return run.run_id, "policy"


def _kpi(w) -> tuple[str, str]:
    from digigov.blocks.kpi.definitions import KPIS

    return next(iter(KPIS)), "public"


BUILDERS = {
    "application": _application,
    "task": _task,
    "decision": _decision,
    "message": _message,
    "offer": _offer,
    "app_consent": _app_consent,
    "policy_run": _policy_run,
    "kpi": _kpi,
}


class World:
    def __init__(self, request) -> None:
        self._request = request

    def __getattr__(self, name: str):
        return self._request.getfixturevalue(name)


def _account(actor: str, owner_kind: str, w: World):
    """The person playing `actor` for an object owned by `owner_kind`."""
    if owner_kind in {"agency", "policy"}:
        owner = officer_account("ssa.supervisor") if owner_kind == "policy" else w.ssa_officer
        other_officer = officer_account("hsg.supervisor") if owner_kind == "policy" else w.hsg_officer
        return {"owner": owner, "other_citizen": w.citizen, "other_agency_officer": other_officer}[actor]
    return {"owner": w.citizen, "other_citizen": w.other_citizen, "other_agency_officer": w.hsg_officer}[actor]


def _refused(response) -> bool:
    return response.status_code in {401, 403, 404} or (
        response.status_code == 302 and "/sign-in/" in response.get("Location", "")
    )


@pytest.mark.parametrize("name", sorted(RULES))
def test_only_the_allowed_get_through(name, request, nation):
    rule = RULES[name]
    route = _routes()[name]
    w = World(request)
    object_id, owner_kind = BUILDERS[rule.obj](w)
    url = reverse(name, kwargs={_id_param(route): object_id, **rule.extra})
    outcomes = {}
    for method, body in rule.methods.items():
        for actor in ACTORS:  # the owner last: a refused attempt must not have changed anything for them
            client = Client() if actor == "anonymous" else signed_in_client(_account(actor, owner_kind, w))
            if method == "GET":
                response = client.get(url)
            elif name.startswith("api:"):
                response = client.post(url, body, content_type="application/json")
            else:
                response = client.post(url, body or {})
            assert response.status_code < 500, (method, url, actor, response.status_code)
            outcomes[(method, actor)] = "refused" if _refused(response) else "allowed"
    expected = {
        (method, actor): "allowed" if actor in rule.allowed else "refused"
        for method in rule.methods
        for actor in ACTORS
    }
    assert outcomes == expected
