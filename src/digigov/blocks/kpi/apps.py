from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "digigov.blocks.kpi"
    label = "kpi"
