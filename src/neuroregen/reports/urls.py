"""Staff report pages under /reports/."""

from django.urls import path

from neuroregen.reports import views

urlpatterns = [
    path("", views.report_index, name="report_index"),
    path("child/<str:study_code>/", views.child_reports, name="report_child"),
    path("child/<str:study_code>/invite/", views.family_invite, name="report_family_invite"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/refresh/", views.report_refresh, name="report_refresh"),
    path("<int:pk>/release/", views.report_release, name="report_release"),
    path("<int:pk>/correct/", views.report_correct, name="report_correct"),
    path("<int:pk>/discard/", views.report_discard, name="report_discard"),
    path("program/", views.program_index, name="report_program_index"),
    path("program/<str:kind>/", views.program_page, name="report_program_all"),
    path("program/<str:kind>/<int:pk>/", views.program_page, name="report_program"),
    path("jobs/<int:pk>/", views.report_job, name="report_job"),
    path("jobs/<int:pk>/download/", views.report_job_download, name="report_job_download"),
]
