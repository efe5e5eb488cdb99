"""Local stand-ins for the partners messaging talks to, speaking their real protocols over HTTP: an SMS provider
(the block's own stand-in, Twilio's Messages API) and a calling system's callback receiver. Test modules wrap
these generators in fixtures of their own (`yield from sms_provider_running(settings)`)."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from digigov.blocks.messaging.sms_standin import SmsStandin


def sms_provider_running(settings) -> Iterator[SmsStandin]:
    """The SMS stand-in on a free port, with the HTTP gateway pointed at it."""
    standin = SmsStandin(account="ACtest", token="test-token").start()
    settings.DIGIGOV_SMS_BACKEND = "digigov.blocks.messaging.backends.sms.HttpSmsGateway"
    settings.DIGIGOV_SMS_URL = standin.url
    settings.DIGIGOV_SMS_ACCOUNT = "ACtest"
    settings.DIGIGOV_SMS_TOKEN = "test-token"
    settings.DIGIGOV_SMS_FROM = "DigiGov"
    yield standin
    standin.stop()


@dataclass(frozen=True)
class ReceivedCallback:
    path: str
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    body: bytes


class CallbackReceiver:
    """A calling system's endpoint: records every POST with its raw body, answers `statuses` in turn (then 204)."""

    def __init__(self) -> None:
        self.received: list[ReceivedCallback] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 (the base class's name)
                pass

            def do_POST(self):  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append(ReceivedCallback(self.path, headers, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def callback_receiver_running() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.stop()
