"""Acting for a business (docs/identity.md "Businesses"): the businesses a person may act for, choosing one to
act for, applying for its services as the business, and the administrators' page of who may act for it."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity import business_queries
from digigov.blocks.identity.business import BUSINESS_AUDIENCE
from digigov.blocks.identity.business_queries import ACTING_FOR_SESSION_KEY, BusinessContext, BusinessRoleName
from digigov.blocks.services import actions as services_actions
from digigov.blocks.services import queries as services
from digigov.frontdoors.portal.views import _or_404, person_required
from digigov.platform.errors import DomainError, NotFound, NotPermitted, ValidationFailed


def _context(request: HttpRequest, uen: str) -> BusinessContext:
    return _or_404(business_queries.business_context, account=request.user, uen=uen)


def acting_for(request: HttpRequest) -> BusinessContext | None:
    """The business the person chose to act for, while they still may: a revoked access ends it at once."""
    business_id = request.session.get(ACTING_FOR_SESSION_KEY)
    if business_id is None:
        return None
    context = business_queries.business_context_by_id(account=request.user, business_id=business_id)
    if context is None:
        request.session.pop(ACTING_FOR_SESSION_KEY, None)
    return context


def _business_services() -> list[Any]:
    return [s for s in services.service_list() if s.audience == BUSINESS_AUDIENCE]


def _services_for(context: BusinessContext) -> list[Any]:
    """The services the person may apply for as the business."""
    return [s for s in _business_services() if context.allows(service_slug=s.slug, role=BusinessRoleName.APPLICANT)]


@person_required
def businesses(request: HttpRequest) -> HttpResponse:
    current = acting_for(request)
    return render(
        request,
        "portal/business/businesses.html",
        {
            "contexts": business_queries.businesses_for_account(account=request.user),
            "current": current,
            "services": _services_for(current) if current else [],
            "nav_active": "businesses",
        },
    )


@person_required
@require_POST
def business_act(request: HttpRequest, uen: str) -> HttpResponse:
    context = _context(request, uen)
    request.session[ACTING_FOR_SESSION_KEY] = context.business.pk
    messages.success(request, _("You are now acting for %(name)s.") % {"name": context.business.name})
    return redirect("portal:businesses")


@person_required
@require_POST
def business_stop(request: HttpRequest) -> HttpResponse:
    request.session.pop(ACTING_FOR_SESSION_KEY, None)
    messages.success(request, _("You are acting for yourself again."))
    return redirect("portal:businesses")


@person_required
@require_POST
def business_apply(request: HttpRequest, slug: str) -> HttpResponse:
    """Start an application as the business the person is acting for."""
    context = acting_for(request)
    if context is None:
        messages.error(request, _("Choose a business to act for first."))
        return redirect("portal:businesses")
    service = _or_404(services.service_get, slug=slug)
    try:
        application = services_actions.application_start(
            account=request.user, service=service, business_id=context.business.pk
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:businesses")
    if services.prefill_request(service=service) and not application.prefill_decision:
        return redirect("portal:consent", application_id=application.pk)
    return redirect("portal:form", application_id=application.pk)


# --- administrators ----------------------------------------------------------------------------------------------


def _people_page(
    request: HttpRequest, context: BusinessContext, *, form: str = "", errors: dict | None = None, status: int = 200
) -> HttpResponse:
    """The administrators' page; after a refused form, its messages beside that form's fields."""
    errors = errors or {}
    return render(
        request,
        "portal/business/people.html",
        {
            "context": context,
            "people": business_queries.business_people(actor=request.user, context=context),
            "services": _business_services(),
            "roles": BusinessRoleName.choices,
            "errors": {form: errors} if errors else {},
            "values": {form: request.POST} if errors else {},
            "error_list": [(f"#{form}-{field}", message) for field, message in errors.items()],
            "nav_active": "businesses",
        },
        status=status,
    )


@person_required
def business_people(request: HttpRequest, uen: str) -> HttpResponse:
    context = _context(request, uen)
    if not context.is_administrator:
        raise Http404()  # the page of who may act for a business is its administrators' alone
    return _people_page(request, context)


def _write(request: HttpRequest, uen: str, write: Any, success: str, *, form: str = "", **kwargs: Any) -> HttpResponse:
    """Run an administrator's write; field errors go back beside the fields, refusals answer 403 or 404."""
    try:
        write(actor=request.user, uen=uen, **kwargs)
    except NotFound:
        raise Http404() from None
    except NotPermitted as error:
        return render(request, "portal/business/refused.html", {"message": error.message}, status=403)
    except ValidationFailed as error:
        errors = {key: str(message) for key, message in error.fields.items()}
        return _people_page(request, _context(request, uen), form=form, errors=errors, status=400)
    messages.success(request, success)
    return redirect("portal:business-people", uen=uen)


@person_required
@require_POST
def access_grant(request: HttpRequest, uen: str) -> HttpResponse:
    return _write(
        request,
        uen,
        business_actions.employee_access_grant,
        _("Access given."),
        form="grant",
        national_id=request.POST.get("national_id", ""),
        service_slug=request.POST.get("service", ""),
        role=request.POST.get("role", ""),
    )


@person_required
@require_POST
def access_revoke(request: HttpRequest, uen: str, access_id: int) -> HttpResponse:
    return _write(request, uen, business_actions.employee_access_revoke, _("Access taken back."), access_id=access_id)


@person_required
@require_POST
def administrator_appoint(request: HttpRequest, uen: str) -> HttpResponse:
    return _write(
        request,
        uen,
        business_actions.business_admin_grant,
        _("Administrator appointed."),
        form="appoint",
        national_id=request.POST.get("national_id", ""),
    )


@person_required
@require_POST
def administrator_remove(request: HttpRequest, uen: str, appointment_id: int) -> HttpResponse:
    return _write(
        request,
        uen,
        business_actions.business_admin_revoke,
        _("Administrator removed."),
        appointment_id=appointment_id,
    )
