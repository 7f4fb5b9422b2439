from django.urls import path

from neuroregen.protocols import views

urlpatterns = [
    path("", views.protocol_list, name="protocol_list"),
    path("import/", views.protocol_import, name="protocol_import"),
    path("<int:pk>/", views.protocol_detail, name="protocol_detail"),
    path("<int:pk>/export.json", views.protocol_export, name="protocol_export"),
    path("<int:pk>/edit/", views.protocol_edit, name="protocol_edit"),
    path("<int:pk>/activate/", views.protocol_activate, name="protocol_activate"),
    path("<int:pk>/amend/", views.protocol_amend, name="protocol_amend"),
    path("<int:pk>/close/", views.protocol_close, name="protocol_close"),
    path("assign/<str:study_code>/", views.assignment_start, name="assignment_start"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/decline/", views.assignment_decline, name="assignment_decline"),
    path("assignments/<int:pk>/history/", views.assignment_history, name="assignment_history"),
]
