from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from review import hooks, panels, permissions  # noqa: F401  # registers actions

        hooks.register()
        panels.register()
        # seed_demo itself is refused unless DEBUG is on.
        from portal.services.demo import register_demo_seeder
        from review.demo import seed_demo_review

        register_demo_seeder(seed_demo_review)
