from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from applications import panels, permissions  # noqa: F401  # registers actions

        panels.register()
        # seed_demo itself is refused unless DEBUG is on.
        from applications.demo import seed_demo_applications
        from portal.services.demo import register_demo_seeder

        register_demo_seeder(seed_demo_applications)
