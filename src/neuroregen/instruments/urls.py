from django.urls import path

from neuroregen.instruments import item_views, views

urlpatterns = [
    path("", views.instrument_list, name="instrument_list"),
    path("import/", views.dictionary_import, name="instrument_dictionary_import"),
    path("outstanding/", views.outstanding, name="instrument_outstanding"),
    path("queries/", views.query_list, name="instrument_query_list"),
    path("queries/run/", views.quality_run, name="instrument_quality_run"),
    path("queries/<int:pk>/", views.query_detail, name="instrument_query_detail"),
    path("visit/<int:visit_id>/", views.visit_forms, name="instrument_visit_forms"),
    path(
        "visit/<int:visit_id>/<slug:code>/", views.response_entry, name="instrument_response_entry"
    ),
    path(
        "visit/<int:visit_id>/<slug:code>/item/",
        item_views.response_item,
        name="instrument_response_item",
    ),
    path(
        "visit/<int:visit_id>/<slug:code>/preview/",
        item_views.response_preview,
        name="instrument_response_preview",
    ),
    path(
        "visit/<int:visit_id>/<slug:code>/not-done/",
        views.response_not_done,
        name="instrument_response_not_done",
    ),
    path(
        "visit/<int:visit_id>/<slug:code>/link/", views.link_create, name="instrument_link_create"
    ),
    path("file/<int:pk>/", views.response_file_download, name="instrument_file_download"),
    path("response/<int:pk>/history/", views.response_history, name="instrument_response_history"),
    path("s/<str:token>/", views.survey, name="instrument_survey"),
    path("s/<str:token>/live/", views.survey_live, name="instrument_survey_live"),
    path("<slug:code>/", views.instrument_detail, name="instrument_detail"),
    path(
        "<slug:code>/dictionary.csv", views.dictionary_export, name="instrument_dictionary_export"
    ),
]
