from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "neuroregen.safety"
    label = "safety"
