from django.conf import settings


def platform(request):
    account = getattr(request, "user", None)
    return {
        "DIGIGOV_ENV": settings.DIGIGOV_ENV,
        "is_officer": bool(account and account.is_authenticated and account.kind == "officer"),
    }
