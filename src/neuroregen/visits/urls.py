from django.urls import path

from neuroregen.visits import views

urlpatterns = [
    path("calendar/", views.site_calendar, name="visit_calendar"),
    path("overdue/", views.overdue_list, name="visit_overdue"),
    path("participant/<str:study_code>/", views.participant_timeline, name="visit_timeline"),
    path("participant/<str:study_code>/day-zero/", views.day_zero, name="visit_day_zero"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/reschedule/", views.visit_reschedule, name="visit_reschedule"),
    path("<int:pk>/done/", views.visit_done, name="visit_done"),
    path("<int:pk>/not-done/", views.visit_not_done, name="visit_not_done"),
]
