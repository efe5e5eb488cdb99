"""Sign-ins and sign-outs are writes to a person's security history: audit each one, and keep the list of
signed-in sessions (the portal's "Signed-in devices") in step."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity import actions

# Where a session remembers its SignedInSession row (the row keeps only a hash of the session key).
SESSION_RECORD = "identity_session_record"


@receiver(user_logged_in, dispatch_uid="identity.audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    entry_record(actor=user, action="identity:session:sign-in", object_type="account", object_id=user.pk)


@receiver(user_logged_in, dispatch_uid="identity.session_record_start")
def session_record_start(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None or session.session_key is None:
        return
    record = actions.session_start(
        account=user,
        session_key=session.session_key,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip_address=request.META.get("REMOTE_ADDR", ""),
        record_id=session.get(SESSION_RECORD),
    )
    session[SESSION_RECORD] = record.pk


@receiver(user_logged_out, dispatch_uid="identity.audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        entry_record(actor=user, action="identity:session:sign-out", object_type="account", object_id=user.pk)


@receiver(user_logged_out, dispatch_uid="identity.session_record_close")
def session_record_close(sender, request, user, **kwargs) -> None:
    record_id = getattr(request, "session", {}).get(SESSION_RECORD)
    if record_id is not None:
        actions.session_close(record_id=record_id)


@receiver(user_login_failed, dispatch_uid="identity.audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # The attempted id may be a national ID number: record that an attempt failed, never what was typed.
    entry_record(actor=None, action="identity:session:sign-in-failed", object_type="account", object_id="unknown")
