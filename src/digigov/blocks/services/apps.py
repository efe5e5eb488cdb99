from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "digigov.blocks.services"
    label = "services"
