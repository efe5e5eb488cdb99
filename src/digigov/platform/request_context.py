"""The current request's id, so audit entries written deep inside actions can name the request."""

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def request_id_get() -> str:
    return _request_id.get()


def request_id_set(*, value: str | None = None) -> contextvars.Token:
    return _request_id.set(value or uuid.uuid4().hex)


def request_id_reset(*, token: contextvars.Token) -> None:
    _request_id.reset(token)
