from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "digigov.frontdoors.backoffice"
    label = "backoffice"
