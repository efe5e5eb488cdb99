from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "digigov.blocks.kpi"
    label = "kpi"

    def ready(self) -> None:
        from digigov.blocks.kpi import subscribers  # noqa: F401  (registers the subscribers)
