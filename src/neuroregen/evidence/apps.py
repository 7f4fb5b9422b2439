from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "neuroregen.evidence"
    label = "evidence"
