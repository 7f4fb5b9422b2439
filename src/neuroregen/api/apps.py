from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "neuroregen.api"
    label = "api"
