from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "digigov.blocks.identity"
    label = "identity"

    def ready(self) -> None:
        from digigov.blocks.identity import signals  # noqa: F401  (connects the audit receivers)
