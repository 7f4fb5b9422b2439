from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "neuroregen.protocols"
    label = "protocols"
