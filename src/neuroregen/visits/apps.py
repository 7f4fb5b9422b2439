from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "neuroregen.visits"
    label = "visits"
