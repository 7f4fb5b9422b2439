from django.urls import path

from neuroregen.interop import views

app_name = "interop"

urlpatterns = [
    path("", views.interop_index, name="index"),
    path("export/", views.export_page, name="export"),
    path("import/", views.import_page, name="import"),
]
