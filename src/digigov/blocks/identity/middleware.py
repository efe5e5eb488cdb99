"""Keeps each signed-in session's record current (last seen, its key after a change) and refuses a session the
person ended from another device, even if its server-side row somehow outlived the revocation."""

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from digigov.blocks.identity import actions, queries
from digigov.blocks.identity.signals import SESSION_RECORD

SEEN_EVERY_SECONDS = 60  # "last seen" to the minute; not one write per request


class SignedInSessionMiddleware:
    """Goes after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        key_before = request.session.session_key
        if user is not None and user.is_authenticated and user.kind != "system":
            self._check(request, user)
        response = self.get_response(request)
        record_id = request.session.get(SESSION_RECORD)
        key_after = request.session.session_key
        if record_id is not None and key_after and key_after != key_before and request.user.is_authenticated:
            actions.session_rekey(record_id=record_id, session_key=key_after)
        return response

    def _check(self, request: HttpRequest, user) -> None:
        record_id = request.session.get(SESSION_RECORD)
        record = queries.signed_in_session_get(record_id=record_id, account=user) if record_id else None
        if record is None:
            # A session signed in before sessions were recorded: record it now.
            record = actions.session_start(
                account=user,
                session_key=request.session.session_key,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                ip_address=request.META.get("REMOTE_ADDR", ""),
            )
            request.session[SESSION_RECORD] = record.pk
        elif record.ended_at is not None:
            logout(request)
        elif (timezone.now() - record.last_seen_at).total_seconds() > SEEN_EVERY_SECONDS:
            actions.session_seen(record_id=record.pk)
