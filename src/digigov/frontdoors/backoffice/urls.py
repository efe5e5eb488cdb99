from django.urls import path

from digigov.frontdoors.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("tasks/<uuid:task_id>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<uuid:task_id>/decision/", views.task_decide, name="task-decide"),
]
