"""Authorisation matrix: every route of the API and the pages that takes an object id, tried as the owner, as
another citizen, as an officer of another agency and anonymously. Only the allowed ones get through.

Routes are found by walking Django's URL resolver (the API's methods come from its OpenAPI document), so a new
endpoint is covered as soon as it exists: an id-taking route missing from RULES fails the test until someone
states who may use it.

The GovStack APIs are called by agencies' systems, not people: for their routes the owner is the owning agency's
calling system and "an officer of another agency" is another agency's calling system, each with its API key.

"Got through" means anything but 401, 403, 404 or a redirect to sign-in; the owner may still be refused by the
object's state (409, 400), which is not an authorisation answer. Nobody ever gets a 5xx.
"""

import itertools
import json
import re
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.support import entered_answers, officer_account, signed_in_client

ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")  # path("<uuid:x>") and re_path("(?P<x>...)") alike
ACTORS = ("anonymous", "other_citizen", "other_agency_officer", "owner")
PUBLIC = ACTORS
SYSTEMS = ("other_agency_officer", "owner")  # on the GovStack APIs: any agency's calling system
GOVSTACK = "/api/govstack"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass(frozen=True)
class Rule:
    """Who may use a route: `obj` names the object whose id fills the route; `methods` maps each method to the
    body sent (valid, so that refusal can only come from authorisation; a function of the test's world when it
    names the test's objects); `allowed` lists the actors let in;
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
    "backoffice:policy-simulation": Rule("policy_simulation"),
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
    "portal:passkey-rename": Rule("passkey", {"POST": {"name": "Work laptop"}}),
    "portal:passkey-remove": Rule("passkey", {"POST": {}}),
    "portal:session-revoke": Rule("signed_in_session", {"POST": {}}),
    # A business's people: its administrators (here its owner) only
    "portal:business-access-revoke": Rule("business_access", {"POST": {}}),
    "portal:business-administrator-remove": Rule("business_administrator", {"POST": {}}),
    # GovStack APIs, called by agencies' systems (owner: the owning agency's system; "other_agency_officer": another
    # agency's system). Registries, documents, applications, tasks and message requests are the owning agency's.
    "api:database_get": Rule("registry_database", {"GET": None}),
    "api:database_delete": Rule("registry_database", {"DELETE": None}),
    "api:record_delete": Rule("registry_record", {"DELETE": None}),
    "api:record_value": Rule("registry_record", extra={"field": "name", "ext": "json"}),
    "api:govstack_registration_document": Rule("document"),
    "api:application_get": Rule("govstack_application"),
    "api:application_update": Rule("govstack_application", {"PUT": lambda w: _file_update_body(w)}),
    "api:task_get": Rule("govstack_task"),
    "api:task_complete": Rule("govstack_task", {"POST": {"data": {"decision": "approve"}}}),
    "api:message_get": Rule("send_request"),
    # The service catalogue is open to every calling system, and any of them may apply for a person.
    "api:service_get": Rule("govstack_service", allowed=SYSTEMS),
    "api:service_eforms": Rule("govstack_service", allowed=SYSTEMS),
    "api:eform_get": Rule("govstack_eform", allowed=SYSTEMS),
    # Only the service's agency (and the agencies it names) may apply for a person: here the owner.
    "api:application_submit": Rule("govstack_service", {"POST": lambda w: _application_body(w)}),
    # Public catalogue entries (not personal data): everyone may read them.
    "portal:kpi-detail": Rule("kpi", allowed=PUBLIC),
}


def _is_id(conv: str, name: str) -> bool:
    # Django converters, snake_case ids and the GovStack specs' spellings (fileId, taskId, ID, uuid, requestUid).
    return conv in {"uuid", "int"} or name.endswith(("_id", "Id", "_uid")) or name in {"id", "ID", "uuid"}


def _takes_an_id(route: str) -> bool:
    return any(_is_id(conv, name) for conv, name in ROUTE_PARAM.findall(route))


def _id_param(route: str) -> str:
    return next(name for conv, name in ROUTE_PARAM.findall(route) if _is_id(conv, name))


def _url(name: str, route: str, values: dict, *, spellings: int) -> str:
    """The route with its parameters filled in. reverse() knows one route per name; the GovStack APIs' second
    spelling of an operation (plain `<param>` routes) is filled in directly."""
    if spellings == 1:
        return reverse(name, kwargs=values)
    return "/" + ROUTE_PARAM.sub(lambda m: str(values[m.group(2)]), route)


def _routes() -> dict[str, list[str]]:
    """{namespaced URL name: its routes} for every route that takes an object id; a name has more than one route
    only for the GovStack APIs' two spellings of one operation (with the same parameters)."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)

    found: dict[str, list[str]] = {}
    for name, route in walk(get_resolver().url_patterns):
        if _takes_an_id(route):
            if name in found:
                same = sorted(ROUTE_PARAM.findall(found[name][0])) == sorted(ROUTE_PARAM.findall(route))
                assert same, f"two id-taking routes share the name {name}: name one of them"
            found.setdefault(name, []).append(route)
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
    covered: dict[str, set[str]] = {}  # several operations (names) may share a path: GET and DELETE of one id
    for name, routes in _routes().items():
        if name.startswith("api:") and name in RULES:
            for route in routes:
                covered.setdefault(route, set()).update(RULES[name].methods)
    missing = {route: _openapi_methods(route) - methods for route, methods in covered.items()}
    assert {route: methods for route, methods in missing.items() if methods} == {}


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


def _policy_simulation(w) -> tuple[str, str]:
    from digigov.blocks.rules.actions import simulation_request
    from digigov.blocks.rules.reform import example_reforms

    w.settings.DIGIGOV_WAREHOUSE_DIR = w.tmp_path
    run = simulation_request(
        actor=officer_account("ssa.supervisor"),
        agency_code="SSA",
        reform_text=next(iter(example_reforms().values())),
        as_of=None,
    )
    return str(run.pk), "policy"


def _passkey(w) -> tuple[str, str]:
    from digigov.blocks.identity.models import Passkey

    passkey = Passkey.objects.create(account=w.citizen, credential_id="matrix-1", public_key=b"\xa5", name="Key")
    return str(passkey.pk), "person"


def _signed_in_session(w) -> tuple[str, str]:
    from digigov.blocks.identity.queries import signed_in_sessions

    signed_in_client(w.citizen)  # a sign-in on another device: the session the owner may end
    return str(next(iter(signed_in_sessions(account=w.citizen))).pk), "person"


def _business_owner(w):
    from digigov.blocks.identity.backends import account_for_sign_in_id

    return account_for_sign_in_id(w.nation.demo_business_owner_national_id)


def _business_uen(w) -> str:
    from digigov.blocks.registries.queries import business_list_for_person

    return business_list_for_person(person_id=_business_owner(w).person_id).first().uen


def _business_access(w) -> tuple[str, str, dict]:
    from digigov.blocks.identity.business import employee_access_grant

    uen = _business_uen(w)
    access = employee_access_grant(
        actor=_business_owner(w), uen=uen, national_id=w.nation.demo_citizen_national_id,
        service_slug="gst-registration", role="applicant",
    )
    return str(access.pk), "business", {"uen": uen}


def _business_administrator(w) -> tuple[str, str, dict]:
    from digigov.blocks.identity.business import business_admin_grant

    uen = _business_uen(w)
    appointment = business_admin_grant(actor=_business_owner(w), uen=uen, national_id=w.nation.demo_citizen_national_id)
    return str(appointment.pk), "business", {"uen": uen}


# GovStack objects, made through the APIs by the owning agency's calling system.
_registry_codes = itertools.count(1)


def _systems(w) -> dict[str, dict]:
    """Request headers of the owning agency's calling system (SSA, with a case-work role) and another agency's."""
    if "system_headers" not in w.__dict__:
        apis = ("registries", "registration", "messaging")
        make = w.govstack_client_factory
        w.system_headers = {
            "owner": make(agency="SSA", apis=apis, roles=("case_officer",))[1],
            "other_agency_officer": make(agency="HSG", apis=apis, roles=("case_officer",))[1],
        }
    return w.system_headers


def _as_owner(w, method: str, path: str, body=None):
    client = Client(headers=_systems(w)["owner"])
    response = client.generic(method, GOVSTACK + path, json.dumps(body), content_type="application/json")
    assert response.status_code < 300, response.content
    return response


def _registry(w) -> str:
    code = f"MATRIX{next(_registry_codes)}"
    fields = {"id": {"type": "string", "primaryKey": True}, "name": {"type": "string"}}
    schema = {"type": "object", "properties": fields}
    _as_owner(w, "POST", "/registries/database/modify", {"groupName": "Matrix", "code": code, "schema": schema})
    return code


def _registry_database(w) -> tuple[str, str]:
    from digigov.blocks.registries.models import RegistryDatabase

    return str(RegistryDatabase.objects.get(code=_registry(w)).pk), "system"


def _registry_record(w) -> tuple[str, str, dict]:
    from digigov.blocks.registries.models import RegistryRecord

    code = _registry(w)
    _as_owner(w, "POST", f"/registries/data/{code}/1.0/create", {"write": {"content": {"id": "R-1", "name": "A"}}})
    record = RegistryRecord.objects.get(database__code=code)
    return str(record.pk), "system", {"registryName": code, "versionNumber": "1.0"}


def _document(w) -> tuple[str, str]:
    client = Client(headers=_systems(w)["owner"])
    response = client.post(f"{GOVSTACK}/registration/documents", {"file": SimpleUploadedFile("proof.pdf", PDF)})
    assert response.status_code == 200, response.content
    return response.json()["url"].rstrip("/").rsplit("/", 1)[1], "system"


def _application_body(w) -> dict:
    answers = {key: {"value": value} for key, value in entered_answers(w.baby_bonus).items()}
    return {"applicantId": w.nation.demo_citizen_national_id, "formData": {"data": answers}}


def _file_update_body(w) -> dict:
    answer = {"bank_account_number": {"value": "123-456"}}
    return {"applicantId": w.nation.demo_citizen_national_id, "formData": {"data": answer}}


def _govstack_application(w) -> tuple[str, str]:
    path = f"/registration/services/{w.baby_bonus.public_id}/applications"
    return _as_owner(w, "POST", path, _application_body(w)).json()["fileId"], "system"


def _govstack_task(w) -> tuple[str, str]:
    from digigov.blocks.workflow.queries import tasks_for_applications

    file_id = _govstack_application(w)[0]
    w.deliver_events()
    return str(tasks_for_applications(application_ids=[file_id])[file_id].pk), "system"


def _govstack_service(w) -> tuple[str, str]:
    return str(w.baby_bonus.public_id), "system"


def _govstack_eform(w) -> tuple[str, str]:
    return str(w.baby_bonus.eform_id), "system"


def _send_request(w) -> tuple[str, str]:
    body = {"recipientInfo": {"email": "parent@example.org"}, "emailContent": {"title": "Hello", "content": "Hi."}}
    return _as_owner(w, "POST", "/messaging/v1/send/email/single", body).json()["requestUid"], "system"


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
    "policy_simulation": _policy_simulation,
    "kpi": _kpi,
    "passkey": _passkey,
    "signed_in_session": _signed_in_session,
    "business_access": _business_access,
    "business_administrator": _business_administrator,
    "registry_database": _registry_database,
    "registry_record": _registry_record,
    "document": _document,
    "govstack_application": _govstack_application,
    "govstack_task": _govstack_task,
    "govstack_service": _govstack_service,
    "govstack_eform": _govstack_eform,
    "send_request": _send_request,
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
    if owner_kind == "business":  # the business's owner; the citizen is its employee or appointee here
        people = {"owner": _business_owner(w), "other_citizen": w.other_citizen, "other_agency_officer": w.hsg_officer}
        return people[actor]
    return {"owner": w.citizen, "other_citizen": w.other_citizen, "other_agency_officer": w.hsg_officer}[actor]


def _refused(response) -> bool:
    return response.status_code in {401, 403, 404} or (
        response.status_code == 302 and "/sign-in/" in response.get("Location", "")
    )


def _client(actor: str, owner_kind: str, w: World) -> Client:
    if actor == "anonymous":
        return Client()
    if owner_kind == "system" and actor != "other_citizen":  # a person's session opens no GovStack API
        return Client(headers=_systems(w)[actor])
    return signed_in_client(_account(actor, owner_kind, w))


def _send(client: Client, method: str, url: str, body, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.post(url, body or {})


@pytest.mark.parametrize("name", sorted(RULES))
def test_only_the_allowed_get_through(name, request, nation):
    rule = RULES[name]
    w = World(request)
    outcomes = {}
    routes = _routes()[name]
    for route in routes:  # each spelling of a GovStack operation, with an object of its own
        object_id, owner_kind, *more = BUILDERS[rule.obj](w)
        values = {_id_param(route): object_id, **rule.extra, **(more[0] if more else {})}
        url = _url(name, route, values, spellings=len(routes))
        for method, body in rule.methods.items():
            body = body(w) if callable(body) else body  # bodies naming objects of this test's nation
            for actor in ACTORS:  # the owner last: a refused attempt must not have changed anything for them
                response = _send(_client(actor, owner_kind, w), method, url, body, api=name.startswith("api:"))
                assert response.status_code < 500, (method, url, actor, response.status_code)
                outcome = "refused" if _refused(response) else "allowed"
                assert outcomes.setdefault((method, actor), outcome) == outcome, (method, url, actor)
    expected = {
        (method, actor): "allowed" if actor in rule.allowed else "refused"
        for method in rule.methods
        for actor in ACTORS
    }
    assert outcomes == expected
