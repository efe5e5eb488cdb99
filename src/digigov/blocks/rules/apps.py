from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "digigov.blocks.rules"
    label = "rules"

    def ready(self) -> None:
        from digigov.blocks.rules import subscribers  # noqa: F401  (registers the subscribers)
