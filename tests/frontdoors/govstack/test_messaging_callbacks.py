"""Delivery status callbacks: a calling system registers an endpoint, gets a signing secret once, and receives a
signed JSON report for every dispatch that reaches a final status. The receiver here is a real local HTTP server
and checks each signature as an integrator would, with nothing but hmac and the secret."""

import hashlib
import hmac
import json
import socket

import pytest
from django.test import Client

from digigov.blocks.messaging.actions import callback_timeout
from digigov.blocks.messaging.models import CallbackEndpoint
from digigov.platform.models import Event
from tests.blocks.messaging.standins import callback_receiver_running, sms_provider_running

BASE = "/api/govstack/messaging/v1"
pytestmark = pytest.mark.django_db


@pytest.fixture
def callback_receiver():
    yield from callback_receiver_running()


@pytest.fixture
def sms_provider(settings):
    yield from sms_provider_running(settings)


@pytest.fixture
def system(govstack_client_factory):
    return govstack_client_factory(agency="SSA", apis=("messaging",))


def register(headers: dict, url: str):
    return Client().put(f"{BASE}/callback-endpoint", data=json.dumps({"url": url}), content_type="application/json",
                        headers=headers)


def send_single(headers: dict, *, to: str = "parent@example.org", callback: dict | None = None):
    body = {"recipientInfo": {"email": to}, "emailContent": {"title": "T", "content": "C"}}
    if callback is not None:
        body["callback"] = callback
    return Client().post(f"{BASE}/send/email/single", data=json.dumps(body), content_type="application/json",
                         headers=headers)


def verified(received, secret: str) -> dict:
    """What an integrator does with a report: recompute the signature over the raw body, compare in constant time."""
    parts = dict(item.split("=", 1) for item in received.headers["x-digigov-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return json.loads(received.body)


def test_the_signing_secret_is_shown_once_and_kept_encrypted(system, callback_receiver):
    _account, headers = system
    response = register(headers, f"{callback_receiver.url}/hooks")
    assert response.status_code == 200
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    shown = Client().get(f"{BASE}/callback-endpoint", headers=headers).json()
    assert shown["url"] == f"{callback_receiver.url}/hooks" and "secret" not in shown
    stored = bytes(CallbackEndpoint.objects.get().secret_encrypted)
    assert secret.encode() not in stored


def test_a_sent_email_is_reported_to_the_requests_callback_address_signed(
    system, callback_receiver, smtp_server, deliver_events
):
    _account, headers = system
    secret = register(headers, f"{callback_receiver.url}/hooks").json()["secret"]
    uid = send_single(headers, callback={"URI": f"{callback_receiver.url}/hooks/request-42"}).json()["requestUid"]
    deliver_events()
    [report] = callback_receiver.received
    assert report.path == "/hooks/request-42"
    body = verified(report, secret)
    assert body["requestUid"] == uid and body["status"] == "sent" and body["channel"] == "email"
    assert body["recipient"] == 0 and body["id"]


def test_a_tampered_report_does_not_verify(system, callback_receiver, smtp_server, deliver_events):
    _account, headers = system
    secret = register(headers, callback_receiver.url).json()["secret"]
    send_single(headers)
    deliver_events()
    [report] = callback_receiver.received
    tampered = type(report)(report.path, report.headers, report.body.replace(b'"sent"', b'"failed"'))
    with pytest.raises(AssertionError):
        verified(tampered, secret)
    with pytest.raises(AssertionError):
        verified(report, "whsec_someone-elses-secret")


def test_without_a_callback_address_the_report_goes_to_the_registered_endpoint(
    system, callback_receiver, smtp_server, deliver_events
):
    _account, headers = system
    secret = register(headers, f"{callback_receiver.url}/all").json()["secret"]
    send_single(headers)
    deliver_events()
    [report] = callback_receiver.received
    assert report.path == "/all" and verified(report, secret)["status"] == "sent"


def test_a_refused_receiver_gets_the_same_report_again_later(system, callback_receiver, smtp_server, deliver_events):
    _account, headers = system
    secret = register(headers, callback_receiver.url).json()["secret"]
    callback_receiver.statuses = [500]
    send_single(headers)
    deliver_events()
    assert len(callback_receiver.received) == 1
    Event.objects.filter(dispatched_at__isnull=True).update(next_attempt_at=None)  # the retry is due
    deliver_events()
    first, second = (verified(r, secret) for r in callback_receiver.received)
    assert first["id"] == second["id"]  # the receiver deduplicates by id
    assert len(smtp_server.messages) == 1


def test_a_bounced_sms_is_reported(system, callback_receiver, sms_provider, deliver_events):
    _account, headers = system
    secret = register(headers, callback_receiver.url).json()["secret"]
    Client().post(f"{BASE}/messages", data=json.dumps({"body": "Hi", "channels": ["sms"],
                  "recipients": [{"phone": "+15005550001"}]}), content_type="application/json", headers=headers)
    deliver_events()
    body = verified(callback_receiver.received[0], secret)
    assert body["status"] == "bounced" and "21211" in body["error"]


def test_a_callback_address_outside_the_registered_origin_is_refused(system, callback_receiver):
    _account, headers = system
    response = send_single(headers, callback={"uri": "http://127.0.0.1:9/elsewhere"})
    assert response.status_code == 405  # nothing registered yet
    register(headers, callback_receiver.url)
    response = send_single(headers, callback={"uri": "http://169.254.169.254/latest/meta-data"})
    assert response.status_code == 405
    assert "callback" in response.json()["error"]["fields"]


def test_plain_http_endpoints_are_refused_in_production(system, settings):
    _account, headers = system
    settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_HTTP = False
    assert register(headers, "http://partner.example.org/hook").status_code == 400
    assert register(headers, "https://partner.example.org/hook").status_code == 200
    assert register(headers, "ftp://partner.example.org/hook").status_code == 400


def test_a_removed_endpoint_gets_no_more_reports(system, callback_receiver, smtp_server, deliver_events):
    _account, headers = system
    register(headers, callback_receiver.url)
    assert Client().delete(f"{BASE}/callback-endpoint", headers=headers).status_code == 204
    assert Client().delete(f"{BASE}/callback-endpoint", headers=headers).status_code == 404
    assert Client().get(f"{BASE}/callback-endpoint", headers=headers).status_code == 404
    send_single(headers)
    deliver_events()
    assert callback_receiver.received == []



@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://192.168.0.7/hook",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook", "https://name-that-does-not-resolve.invalid/hook", "https://8.8.8.8:99999/hook",
])
def test_an_endpoint_that_is_not_on_the_public_internet_is_refused(system, settings, url):
    _account, headers = system
    settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE = False
    response = register(headers, url)
    assert response.status_code == 400, response.json()
    assert "url" in response.json()["error"]["fields"]
    assert not CallbackEndpoint.objects.exists()


def test_an_endpoint_at_a_public_address_is_accepted(system, settings):
    _account, headers = system
    settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE = False
    assert register(headers, "https://8.8.8.8/hook").status_code == 200


@pytest.fixture
def dns(monkeypatch):
    """What the name `receiver.example` resolves to, as a DNS server would answer; other names resolve as usual.
    Counts the look-ups of that name."""
    real = socket.getaddrinfo
    answers = {"address": "127.0.0.1", "lookups": 0}

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "receiver.example":
            return real(host, port, *args, **kwargs)
        answers["lookups"] += 1
        return real(answers["address"], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_a_name_that_resolves_to_a_private_address_by_send_time_gets_no_report(
    system, settings, callback_receiver, dns, smtp_server, deliver_events
):
    _account, headers = system
    settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE = False
    port = callback_receiver.url.rsplit(":", 1)[1]
    dns["address"] = "93.184.216.34"  # public when registered ...
    assert register(headers, f"http://receiver.example:{port}/hook").status_code == 200
    dns["address"] = "127.0.0.1"  # ... and rebound to this machine afterwards
    send_single(headers)
    deliver_events()
    assert callback_receiver.received == []
    assert len(smtp_server.messages) == 1
    failed = Event.objects.get(type="messaging.dispatch_status_changed")
    assert failed.dispatched_at is None and "public internet" in failed.last_error


def test_the_report_goes_to_the_address_that_was_checked_under_the_registered_name(
    system, callback_receiver, dns, smtp_server, deliver_events
):
    _account, headers = system
    port = callback_receiver.url.rsplit(":", 1)[1]
    secret = register(headers, f"http://receiver.example:{port}/hook").json()["secret"]
    send_single(headers)
    deliver_events()
    [report] = callback_receiver.received
    assert report.headers["host"] == f"receiver.example:{port}" and verified(report, secret)["status"] == "sent"
    assert dns["lookups"] == 1  # resolved once, to check it; the connection went to that answer


def test_a_callback_may_take_at_most_five_seconds_whatever_the_setting(settings):
    settings.DIGIGOV_MESSAGING_CALLBACK_TIMEOUT = 60
    assert callback_timeout() == 5
    settings.DIGIGOV_MESSAGING_CALLBACK_TIMEOUT = 2
    assert callback_timeout() == 2


def test_a_redirect_is_a_failed_report_not_followed(system, callback_receiver, smtp_server, deliver_events):
    _account, headers = system
    register(headers, callback_receiver.url)
    callback_receiver.statuses = [302]
    send_single(headers)
    deliver_events()
    assert len(callback_receiver.received) == 1
    assert "302" in Event.objects.get(type="messaging.dispatch_status_changed").last_error
