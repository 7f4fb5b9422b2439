from django.urls import path

from neuroregen.evidence import publication_views, views

urlpatterns = [
    path("", views.evidence_index, name="evidence_index"),
    path("protocol/<int:pk>/", views.program_evidence, name="evidence_program"),
    path("protocol/<int:pk>/export.<str:fmt>", views.program_export, name="evidence_export"),
    path("child/<str:study_code>/", views.child_progress, name="evidence_child"),
    path(
        "check-publication/",
        publication_views.check_publication,
        name="evidence_check_publication",
    ),
]
