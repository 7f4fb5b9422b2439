from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "neuroregen.instruments"
    label = "instruments"

    def ready(self) -> None:
        from neuroregen.instruments import (
            receivers,  # noqa: F401 - answers biomarkers.signals
            registry,
        )
        from neuroregen.protocols import codes

        codes.provide(codes.INSTRUMENTS, registry.known_codes)
