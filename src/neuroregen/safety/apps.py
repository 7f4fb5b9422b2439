from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "neuroregen.safety"
    label = "safety"

    def ready(self) -> None:
        from neuroregen.safety import receivers

        receivers.connect()
