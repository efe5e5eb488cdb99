from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "digigov.blocks.workflow"
    label = "workflow"
