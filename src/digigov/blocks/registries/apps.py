from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "digigov.blocks.registries"
    label = "registries"
