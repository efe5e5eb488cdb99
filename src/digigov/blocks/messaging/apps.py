from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "digigov.blocks.messaging"
    label = "messaging"
