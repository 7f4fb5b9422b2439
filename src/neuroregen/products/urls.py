from django.urls import path

from neuroregen.products import views

app_name = "products"

urlpatterns = [
    path("", views.lot_list, name="lot_list"),
    path("scan/", views.scan, name="scan"),
    path("bedside/", views.bedside, name="bedside"),
    path("lots/<str:code>/", views.lot_detail, name="lot_detail"),
    path("lots/<str:code>/qc/", views.qc_record, name="qc_record"),
    path("lots/<str:code>/qc/conclude/", views.qc_conclude, name="qc_conclude"),
    path("lots/<str:code>/deviation/", views.deviation_record, name="deviation_record"),
    path("lots/<str:code>/release/", views.lot_release, name="lot_release"),
    path("lots/<str:code>/recall/", views.lot_recall, name="lot_recall"),
    path("lots/<str:code>/custody/", views.custody_record, name="custody_record"),
    path("lots/<str:code>/ship/", views.shipment_dispatch, name="shipment_dispatch"),
    path("containers/<str:code>/receive/", views.shipment_receive, name="shipment_receive"),
    path("custody/<int:pk>/assess/", views.excursion_assess, name="excursion_assess"),
    path("labels/<str:code>/", views.label, name="label"),
    path("lookback/<str:code>/", views.lookback, name="lookback"),
    path("participants/<str:study_code>/", views.participant_products, name="participant_products"),
    path("administrations/<str:code>/", views.administration_detail, name="administration_detail"),
]
