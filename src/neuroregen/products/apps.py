from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "neuroregen.products"
    label = "products"
