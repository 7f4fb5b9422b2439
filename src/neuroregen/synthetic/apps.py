from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    # Installed for its ``demo_setup`` command; it has no models of its own.
    name = "neuroregen.synthetic"
    label = "synthetic"
