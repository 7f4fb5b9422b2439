from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "neuroregen.interop"
    label = "interop"
    verbose_name = "Interoperability"
