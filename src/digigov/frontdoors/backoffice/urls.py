from django.urls import path, re_path

from digigov.frontdoors.backoffice import views, views_identity, views_investigations, views_offers, views_policy

app_name = "backoffice"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("tasks/<uuid:task_id>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<uuid:task_id>/decision/", views.task_decide, name="task-decide"),
    path("decisions/<int:decision_id>/reverse/", views.decision_reverse, name="decision-reverse"),
    path("identity/clients/", views_identity.clients, name="oidc-clients"),
    path("investigations/", views_investigations.investigations, name="investigations"),
    path("policy/", views_policy.policy, name="policy"),
    path("policy/simulations/<uuid:simulation_id>/", views_policy.policy_simulation, name="policy-simulation"),
    path("offers/", views_offers.offers, name="offers"),
    re_path(r"^policy/runs/(?P<run_id>\d{8}T\d{6}Z-[0-9a-f]{8})/$", views_policy.policy_run, name="policy-run"),
    re_path(
        r"^policy/runs/(?P<run_id>\d{8}T\d{6}Z-[0-9a-f]{8})/(?P<table>schemes|deciles|age_groups)\.(?P<fmt>csv|parquet)$",
        views_policy.policy_download,
        name="policy-download",
    ),
]
