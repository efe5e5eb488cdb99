import re

from digigov.platform.request_context import request_id_reset, request_id_set

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed one from a trusted proxy) and returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        token = request_id_set(value=incoming if _SAFE_REQUEST_ID.match(incoming) else None)
        try:
            from digigov.platform.request_context import request_id_get

            request.request_id = request_id_get()
            response = self.get_response(request)
            response["X-Request-Id"] = request.request_id
            return response
        finally:
            request_id_reset(token=token)
