from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "digigov.blocks.consent"
    label = "consent"
