"""Sign-in records that lapsed more than a day ago are deleted (hourly by the worker, or `digigov identity
purge`); live ones, and those that lapsed within the day, stay."""

import datetime as dt
import io

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.actions import lapsed_records_purge
from digigov.blocks.identity.models import (
    OidcAccessToken,
    OidcAuthorizationCode,
    OidcClientAssertion,
    OidcPushedRequest,
    SignedInSession,
    UnlockToken,
)
from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.registries.queries import agency_list

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=3)
HOUR_AGO = NOW - dt.timedelta(hours=1)
LATER = NOW + dt.timedelta(minutes=30)


@pytest.fixture
def records(citizen):
    """For each kind, one record that lapsed days ago ("old") and ones that are live or lapsed within the day."""
    client, _secret = oidc_actions.client_register(
        actor=None,
        client_id="purge-test",
        name="Purge test",
        agency=agency_list().first(),
        purpose="To test the clean-up.",
        redirect_uris=["https://rp.example/cb"],
        post_logout_redirect_uris=[],
        scopes=["openid"],
        is_sandbox=True,
    )

    def code(name: str, expires_at):
        return OidcAuthorizationCode.objects.create(
            code_hash=name, client=client, account=citizen, redirect_uri="https://rp.example/cb", scope="openid",
            code_challenge="x" * 43, code_challenge_method="S256", acr="a", auth_time=0, expires_at=expires_at,
        )

    def token(name: str, expires_at, code=None):
        return OidcAccessToken.objects.create(
            token_hash=name, client=client, account=citizen, code=code, scope="openid", acr="a", expires_at=expires_at
        )

    def session(name: str, *, last_seen_at, ended_at=None):
        return SignedInSession.objects.create(
            account=citizen, session_key_hash=name, session_key_encrypted=b"x", last_seen_at=last_seen_at,
            ended_at=ended_at,
        )

    def unlock(name: str, *, expires_at, used_at=None):
        return UnlockToken.objects.create(
            token_hash=name, account=citizen, sign_in_id_encrypted=b"x", expires_at=expires_at, used_at=used_at
        )

    code_of_live_token = code("code-of-live-token", LONG_AGO)
    return {
        "old": [
            token("old-token", LONG_AGO),
            code("old-code", LONG_AGO),
            OidcPushedRequest.objects.create(handle_hash="old-par", client=client, params={}, expires_at=LONG_AGO),
            OidcClientAssertion.objects.create(client=client, jti="old-jti", expires_at=LONG_AGO),
            unlock("old-unlock", expires_at=LONG_AGO),
            unlock("used-unlock", expires_at=LATER + dt.timedelta(days=1), used_at=LONG_AGO),
            session("ended-session", last_seen_at=LONG_AGO, ended_at=LONG_AGO),
            session("lapsed-session", last_seen_at=LONG_AGO - dt.timedelta(days=1)),
        ],
        "kept": [
            token("live-token", LATER, code=code_of_live_token),
            code_of_live_token,  # long expired, but a live token was issued from it
            token("recent-token", HOUR_AGO),
            code("recent-code", HOUR_AGO),
            OidcPushedRequest.objects.create(handle_hash="live-par", client=client, params={}, expires_at=LATER),
            OidcClientAssertion.objects.create(client=client, jti="live-jti", expires_at=LATER),
            unlock("live-unlock", expires_at=LATER),
            session("live-session", last_seen_at=HOUR_AGO),
            session("recently-ended-session", last_seen_at=HOUR_AGO, ended_at=HOUR_AGO),
        ],
    }


def _exists(record) -> bool:
    return type(record).objects.filter(pk=record.pk).exists()


def test_lapsed_records_are_deleted_and_live_ones_kept(records):
    counts = lapsed_records_purge(now=NOW)
    assert not any(_exists(r) for r in records["old"])
    assert all(_exists(r) for r in records["kept"])
    assert counts == {
        "access tokens": 1,
        "authorization codes": 1,
        "pushed requests": 1,
        "client assertions": 1,
        "unlock links": 2,
        "signed-in sessions": 2,
    }
    entry = AuditEntry.objects.filter(action="identity:records:purge").get()
    assert entry.detail == counts and entry.actor_label == "system"


def test_a_second_purge_finds_nothing_and_records_nothing(records):
    lapsed_records_purge(now=NOW)
    assert not any(lapsed_records_purge(now=NOW).values())
    assert AuditEntry.objects.filter(action="identity:records:purge").count() == 1


def test_expired_browser_sessions_go_too(records):
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=NOW - dt.timedelta(minutes=1))
    Session.objects.create(session_key="b" * 32, session_data="x", expire_date=NOW + dt.timedelta(hours=1))
    lapsed_records_purge(now=NOW)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_the_command_purges_and_says_what_it_deleted(records):
    out = io.StringIO()
    call_command("identity", "purge", stdout=out)
    assert "Deleted 1 access tokens, 1 authorization codes" in out.getvalue()
    assert not any(_exists(r) for r in records["old"])
