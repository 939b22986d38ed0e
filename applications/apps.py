from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from applications import panels, permissions  # noqa: F401  # registers actions

        panels.register()
