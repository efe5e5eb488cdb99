"""Records every authenticated GovStack API call once its outcome is known."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from digigov.blocks.identity.actions import api_call_record
from digigov.platform.request_context import request_id_get


class ApiCallRecorder:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        caller = getattr(request, "govstack_caller", None)
        if caller is not None:
            api_call_record(
                client_id=caller.client_id,
                via=caller.via,
                mediator_client=caller.mediator_client,
                method=request.method or "",
                path=request.path.replace("\x00", "\\x00"),  # PostgreSQL text refuses NUL; %00 decodes to it
                status=response.status_code,
                request_id=request_id_get(),
            )
        return response
