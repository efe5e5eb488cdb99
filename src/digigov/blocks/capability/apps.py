from django.apps import AppConfig


class CapabilityConfig(AppConfig):
    name = "digigov.blocks.capability"
    label = "capability"
