from django.urls import path

from neuroregen.products import (
    bedside_views,
    custody_views,
    gmp_views,
    lab_views,
    trace_views,
    views,
)

app_name = "products"

urlpatterns = [
    path("", views.lot_list, name="lot_list"),
    path("scan/", trace_views.scan, name="scan"),
    path("bedside/", bedside_views.bedside, name="bedside"),
    path("lots/<str:code>/", views.lot_detail, name="lot_detail"),
    path("lots/<str:code>/qc/", views.qc_record, name="qc_record"),
    path("lots/<str:code>/qc/conclude/", views.qc_conclude, name="qc_conclude"),
    path("lots/<str:code>/deviation/", views.deviation_record, name="deviation_record"),
    path("lots/<str:code>/release/", views.lot_release, name="lot_release"),
    path("lots/<str:code>/recall/", views.lot_recall, name="lot_recall"),
    path("qc-results/<int:pk>/investigate/", gmp_views.oos_open, name="oos_open"),
    path("investigations/<int:pk>/conclude/", gmp_views.oos_conclude, name="oos_conclude"),
    path(
        "recall-notices/<int:pk>/acknowledge/",
        gmp_views.recall_notice_acknowledge,
        name="recall_notice_acknowledge",
    ),
    path("lots/<str:code>/custody/", custody_views.custody_record, name="custody_record"),
    path("lots/<str:code>/ship/", custody_views.shipment_dispatch, name="shipment_dispatch"),
    path("containers/<str:code>/receive/", custody_views.shipment_receive, name="shipment_receive"),
    path("custody/<int:pk>/assess/", custody_views.excursion_assess, name="excursion_assess"),
    path("labels/<str:code>/", trace_views.label, name="label"),
    path("lookback/<str:code>/", trace_views.lookback, name="lookback"),
    path(
        "participants/<str:study_code>/",
        trace_views.participant_products,
        name="participant_products",
    ),
    path(
        "administrations/<str:code>/",
        trace_views.administration_detail,
        name="administration_detail",
    ),
    # Lab creation pages
    path("lab/", lab_views.lab_home, name="lab_home"),
    path("lab/donors/new/", lab_views.donor_create, name="donor_create"),
    path(
        "lab/donors/<str:code>/eligibility/", lab_views.donor_eligibility, name="donor_eligibility"
    ),
    path("lab/donors/<str:code>/hla/", lab_views.donor_hla, name="donor_hla"),
    path("lab/sources/new/", lab_views.source_create, name="source_create"),
    path("lab/sources/<str:code>/derive/", lab_views.line_create, name="line_create"),
    path("lab/sources/<str:code>/lot/", lab_views.lot_create, name="lot_create"),
    path("lab/specifications/new/", lab_views.spec_create, name="spec_create"),
    path("lab/specifications/<int:pk>/", lab_views.spec_detail, name="spec_detail"),
    path("lots/<str:code>/complete/", lab_views.lot_complete, name="lot_complete"),
    path("lots/<str:code>/fill/", lab_views.lot_fill, name="lot_fill"),
    path("participants/<str:study_code>/hla/", lab_views.participant_hla, name="participant_hla"),
    path(
        "participants/<str:study_code>/antibodies/",
        lab_views.antibody_screen,
        name="antibody_screen",
    ),
]
