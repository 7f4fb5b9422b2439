from django.urls import path

from neuroregen.participants import views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("new/", views.participant_create, name="participant_create"),
    path("find/", views.participant_identity_search, name="participant_identity_search"),
    path("<str:study_code>/", views.participant_detail, name="participant_detail"),
    path("<str:study_code>/edit/", views.participant_edit, name="participant_edit"),
    path("<str:study_code>/consent/", views.consent_record, name="consent_record"),
    path("<str:study_code>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<str:study_code>/enrol/", views.participant_enrol, name="participant_enrol"),
    path("<str:study_code>/history/", views.participant_history, name="participant_history"),
    path("<str:study_code>/identity/", views.identity_edit, name="identity_edit"),
    path("<str:study_code>/nda-guid/", views.nda_guid_edit, name="nda_guid_edit"),
    path("<str:study_code>/measurements/", views.anthropometry_record, name="anthropometry_record"),
    path("<str:study_code>/comorbidities/", views.comorbidity_record, name="comorbidity_record"),
    path(
        "<str:study_code>/screen-fail/",
        views.participant_screen_fail,
        name="participant_screen_fail",
    ),
]
