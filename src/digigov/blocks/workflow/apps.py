from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "digigov.blocks.workflow"
    label = "workflow"

    def ready(self) -> None:
        from digigov.blocks.workflow import subscribers  # noqa: F401  (registers the subscribers)
