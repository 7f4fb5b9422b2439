from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from neuroregen.participants import views as participant_views

urlpatterns = [
    path("", participant_views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("participants/", include("neuroregen.participants.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
