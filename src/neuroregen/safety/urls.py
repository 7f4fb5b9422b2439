from django.urls import path

from neuroregen.safety import views

urlpatterns = [
    path("", views.adverse_event_list, name="safety_event_list"),
    path("report/<str:study_code>/", views.adverse_event_create, name="safety_event_create"),
    path("ae/<str:code>/", views.adverse_event_detail, name="safety_event_detail"),
    path("ae/<str:code>/edit/", views.adverse_event_edit, name="safety_event_edit"),
    path("ae/<str:code>/follow-up/", views.adverse_event_follow_up, name="safety_event_follow_up"),
    path("ae/<str:code>/sign-off/", views.adverse_event_sign_off, name="safety_event_sign_off"),
    path("clocks/", views.clock_dashboard, name="safety_clocks"),
    path("clocks/<int:pk>/submit/", views.clock_submit, name="safety_clock_submit"),
    path("dsmb/", views.dsmb, name="safety_dsmb"),
    path("reviews/", views.review_list, name="safety_review_list"),
    path("reviews/<int:pk>/close/", views.review_close, name="safety_review_close"),
]
