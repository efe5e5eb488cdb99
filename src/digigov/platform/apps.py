from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "digigov.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # `flush` (and migrate) end with post_migrate: after a flush the data keys this process holds no
        # longer exist, and new values must not be encrypted under them.
        post_migrate.connect(_data_keys_forget, sender=self, dispatch_uid="platform-data-keys-forget")


def _data_keys_forget(**kwargs: object) -> None:
    from digigov.platform import keys

    keys.cache_clear()
