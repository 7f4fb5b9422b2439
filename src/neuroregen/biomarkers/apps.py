from django.apps import AppConfig


class BiomarkersConfig(AppConfig):
    name = "neuroregen.biomarkers"
    label = "biomarkers"
