"""The product's URLs plus ``/bench/bare/``: a view doing nothing, the benchmark's floor."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from neuroregen.urls import urlpatterns as product_urls


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *product_urls]
