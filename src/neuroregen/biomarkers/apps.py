from django.apps import AppConfig


class BiomarkersConfig(AppConfig):
    name = "neuroregen.biomarkers"
    label = "biomarkers"

    def ready(self) -> None:
        from neuroregen.biomarkers import registry
        from neuroregen.protocols import codes

        codes.provide(codes.BIOMARKERS, registry.known_codes)
