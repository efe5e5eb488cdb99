from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "digigov.frontdoors.portal"
    label = "portal"
