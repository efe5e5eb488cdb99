from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "digigov.blocks.audit"
    label = "audit"
