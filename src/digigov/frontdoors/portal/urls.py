from django.urls import path

from digigov.frontdoors.portal import views

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
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<uuid:message_id>/", views.inbox_message, name="message"),
    path("my-data/", views.my_data, name="my-data"),
    path("kpi/", views.kpi_page, name="kpi"),
]
