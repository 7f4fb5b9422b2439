from django.urls import path

from neuroregen.biomarkers import views

urlpatterns = [
    path("", views.measurement_list, name="biomarker_list"),
    path("import/", views.measurement_import, name="biomarker_import"),
    path("m/<int:pk>/", views.measurement_detail, name="biomarker_detail"),
    path("<str:study_code>/new/", views.measurement_record, name="biomarker_record"),
]
