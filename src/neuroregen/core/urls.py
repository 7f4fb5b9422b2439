"""Account pages under /account/: two-factor sign-in."""

from django.urls import path

from neuroregen.core import views

urlpatterns = [
    path("two-factor/", views.two_factor_manage, name="two_factor_manage"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
]
