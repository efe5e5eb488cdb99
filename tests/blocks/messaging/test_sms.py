"""The SMS gateway speaks the provider's HTTP protocol (Twilio's Messages API) to the local stand-in."""

import pytest

from digigov.blocks.messaging.backends.sms import HttpSmsGateway, SmsRefused, SmsUnavailable
from digigov.blocks.messaging.sms_standin import SmsStandin


@pytest.fixture
def standin():
    server = SmsStandin(account="ACunit", token="secret-token").start()
    yield server
    server.stop()


def gateway(standin, **overrides) -> HttpSmsGateway:
    options = {"url": standin.url, "account": "ACunit", "token": "secret-token", "sender": "DigiGov", "timeout": 5}
    return HttpSmsGateway(**{**options, **overrides})


def test_an_accepted_sms_returns_the_providers_id(standin):
    sid = gateway(standin).send(to="+6581234567", body="Your code is 1234", reference="ref-1")
    assert sid.startswith("SM")
    [received] = standin.messages
    assert (received.sid, received.to, received.sender, received.body, received.reference) == (
        sid, "+6581234567", "DigiGov", "Your code is 1234", "ref-1")


def test_an_invalid_number_is_refused_for_good(standin):
    with pytest.raises(SmsRefused, match="21211"):
        gateway(standin).send(to="+15005550001", body="Hello", reference="ref-2")
    assert standin.messages == []


def test_a_provider_outage_can_be_retried(standin):
    standin.fail_next(1)
    with pytest.raises(SmsUnavailable, match="503"):
        gateway(standin).send(to="+6581234567", body="Hello", reference="ref-3")
    assert gateway(standin).send(to="+6581234567", body="Hello", reference="ref-3")
    assert len(standin.messages) == 1


def test_wrong_credentials_are_not_the_recipients_fault(standin):
    with pytest.raises(SmsUnavailable, match="401"):
        gateway(standin, token="wrong").send(to="+6581234567", body="Hello", reference="ref-4")


def test_an_unreachable_provider_can_be_retried(standin):
    address = standin.url
    standin.stop()
    with pytest.raises(SmsUnavailable):
        gateway(standin, url=address).send(to="+6581234567", body="Hello", reference="ref-5")
