from django.urls import path

from digigov.frontdoors.portal import views, views_identity, views_kpi, views_my_data, views_offers

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("life-events/<slug:slug>/", views.life_event, name="life-event"),
    path("services/", views.service_search, name="services"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("services/<slug:slug>/apply/", views.apply, name="apply"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("account/two-factor/", views.two_factor, name="two-factor"),
    path("applications/", views.applications, name="applications"),
    path("applications/<uuid:application_id>/", views.application_detail, name="application"),
    path("applications/<uuid:application_id>/consent/", views.consent, name="consent"),
    path("applications/<uuid:application_id>/form/", views.application_form, name="form"),
    path("applications/<uuid:application_id>/submitted/", views.submitted, name="submitted"),
    path("applications/<uuid:application_id>/respond/", views.application_respond, name="respond"),
    path("applications/<uuid:application_id>/rate/", views.application_rate, name="rate"),
    path("offers/", views_offers.offers, name="offers"),
    path("offers/<uuid:offer_id>/apply/", views_offers.offer_apply, name="offer-apply"),
    path("offers/<uuid:offer_id>/dismiss/", views_offers.offer_dismiss, name="offer-dismiss"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<uuid:message_id>/", views.inbox_message, name="message"),
    path("my-data/", views_my_data.my_data, name="my-data"),
    path("my-data/access.csv", views_my_data.my_data_access_csv, name="my-data-access-csv"),
    path("kpi/", views_kpi.kpi_page, name="kpi"),
    path("kpi/blueprint/", views_kpi.kpi_dashboard, name="kpi-dashboard"),
    path("kpi/blueprint/<slug:kpi_id>/", views_kpi.kpi_detail, name="kpi-detail"),
    path("account/apps/", views_identity.apps_with_access, name="apps-with-access"),
    path("account/apps/<int:consent_id>/withdraw/", views_identity.app_access_revoke, name="app-access-revoke"),
]
