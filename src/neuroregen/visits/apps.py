from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "neuroregen.visits"
    label = "visits"

    def ready(self) -> None:
        from neuroregen.visits import (
            checks,  # noqa: F401 - registers the schedule checks
            receivers,  # noqa: F401 - answers protocols.signals
        )
