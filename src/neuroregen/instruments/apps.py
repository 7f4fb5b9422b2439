from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "neuroregen.instruments"
    label = "instruments"
