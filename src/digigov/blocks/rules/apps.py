from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "digigov.blocks.rules"
    label = "rules"
