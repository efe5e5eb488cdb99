from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "digigov.platform"
    label = "platform"
    verbose_name = "Platform"
