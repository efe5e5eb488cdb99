from django.http import JsonResponse
from django.shortcuts import render

from digigov.platform.errors import error_body


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(code="not_found", message="Not found."), status=404)
    return render(request, "platform/404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            error_body(code="internal_error", message="Something went wrong on our side. Please try again."), status=500
        )
    return render(request, "platform/500.html", status=500)
