from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "digigov.blocks.messaging"
    label = "messaging"

    def ready(self) -> None:
        from digigov.blocks.messaging import subscribers  # noqa: F401  (registers the subscribers)
