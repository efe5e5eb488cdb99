"""Sign-ins and sign-outs are writes to a person's security history: audit each one."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from digigov.blocks.audit.actions import entry_record


@receiver(user_logged_in, dispatch_uid="identity.audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    entry_record(actor=user, action="identity:session:sign-in", object_type="account", object_id=user.pk)


@receiver(user_logged_out, dispatch_uid="identity.audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        entry_record(actor=user, action="identity:session:sign-out", object_type="account", object_id=user.pk)


@receiver(user_login_failed, dispatch_uid="identity.audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # The attempted id may be a national ID number: record that an attempt failed, never what was typed.
    entry_record(actor=None, action="identity:session:sign-in-failed", object_type="account", object_id="unknown")
