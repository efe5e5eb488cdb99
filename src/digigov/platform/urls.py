from django.urls import include, path

from digigov.platform.api import api

urlpatterns = [
    path("api/", api.urls),
    path("backoffice/", include("digigov.frontdoors.backoffice.urls")),
    path("", include("digigov.frontdoors.portal.urls")),
]

handler404 = "digigov.platform.views.not_found"
handler500 = "digigov.platform.views.server_error"
