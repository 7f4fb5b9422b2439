from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "neuroregen.instruments"
    label = "instruments"

    def ready(self) -> None:
        from neuroregen.instruments import registry
        from neuroregen.protocols import codes

        codes.provide(codes.INSTRUMENTS, registry.known_codes)
