from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "digigov.blocks.identity"
    label = "identity"
