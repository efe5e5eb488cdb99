"""A local stand-in for an SMS provider, speaking the same HTTP protocol as `backends.sms.HttpSmsGateway`
(Twilio's Messages API): for tests and `make demo`, so SMS goes over real HTTP without a provider account.

Run it as a process: `python -m digigov.blocks.messaging.sms_standin --port 8025` (prints each message), or in
a thread: `SmsStandin(account=..., token=...).start()`. Like the provider's test credentials, +15005550001 is
refused as an invalid number (error 21211); `fail_next(n)` makes the next n requests fail with 503, as a
provider outage would."""

import argparse
import base64
import contextlib
import datetime as dt
import json
import re
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
INVALID_NUMBER = "+15005550001"
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass(frozen=True)
class ReceivedSms:
    sid: str
    to: str
    sender: str
    body: str
    reference: str


class SmsStandin:
    def __init__(self, *, account: str, token: str, host: str = "127.0.0.1", port: int = 0, echo: bool = False):
        self.account = account
        self.token = token
        self.echo = echo
        self.messages: list[ReceivedSms] = []
        self._failures_left = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def start(self) -> "SmsStandin":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def _take_failure(self) -> bool:
        with self._lock:
            if self._failures_left:
                self._failures_left -= 1
                return True
            return False

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        return secrets.compare_digest(header.encode(), f"Basic {expected}".encode())


def _handler_for(standin: SmsStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass  # the demo prints messages, not access logs

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._answer(status, {"code": code, "message": message, "status": status})

        def do_POST(self):  # noqa: N802 (http.server's hook name)
            match = _PATH.match(self.path)
            if not match:
                return self._error(404, 20404, "The requested resource was not found")
            if match["account"] != standin.account or not standin._authorised(self.headers.get("Authorization", "")):
                return self._error(401, 20003, "Authentication Error - invalid username")
            if standin._take_failure():
                return self._error(503, 20503, "Service unavailable")
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
            to, body = form.get("To", ""), form.get("Body", "")
            if not E164.match(to) or to == INVALID_NUMBER:
                return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if not body:
                return self._error(400, 21602, "Message body is required.")
            sms = ReceivedSms(
                sid=f"SM{secrets.token_hex(16)}", to=to, sender=form.get("From", ""), body=body,
                reference=self.headers.get("X-DigiGov-Reference", ""),
            )
            standin.messages.append(sms)
            if standin.echo:
                print(f"--- SMS {sms.sid} to {to} from {sms.sender}\n{body}\n", flush=True)
            now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            self._answer(201, {
                "sid": sms.sid, "account_sid": standin.account, "to": to, "from": sms.sender, "body": body,
                "status": "queued", "num_segments": "1", "direction": "outbound-api", "date_created": now,
            })

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--account", default="ACdigigovdemo")
    parser.add_argument("--token", default="demo-token")
    args = parser.parse_args()
    standin = SmsStandin(account=args.account, token=args.token, host=args.host, port=args.port, echo=True)
    print(f"SMS stand-in listening on {standin.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()


if __name__ == "__main__":
    main()
