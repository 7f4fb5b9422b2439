"""The family portal under /family/."""

from django.urls import path

from neuroregen.reports import views

urlpatterns = [
    path("", views.family_home, name="family_home"),
    path("language/", views.family_language, name="family_language"),
    path("reports/<int:pk>/", views.family_report, name="family_report"),
    path("reports/<int:pk>/pdf/", views.family_report_pdf, name="family_report_pdf"),
    path("invite/<str:token>/", views.family_invitation, name="family_invitation"),
    path("links/<int:pk>/", views.family_link_respond, name="family_link_respond"),
]
