from django.conf import settings
from django.urls import include, path

from digigov.blocks.identity.oidc import views as oidc_views
from digigov.platform.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(".well-known/openid-configuration", oidc_views.discovery, name="openid-configuration"),
    path("oidc/", include("digigov.blocks.identity.oidc.urls")),
    path("backoffice/", include("digigov.frontdoors.backoffice.urls")),
    path("", include("digigov.frontdoors.portal.urls")),
]

if settings.DIGIGOV_BENCH:
    from digigov.platform.bench_views import insert_one_row

    urlpatterns.insert(0, path("bench/baseline", insert_one_row))

handler404 = "digigov.platform.views.not_found"
handler500 = "digigov.platform.views.server_error"
