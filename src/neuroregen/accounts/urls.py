"""Account administration under /users/."""

from django.urls import path

from neuroregen.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.user_list, name="list"),
    path("invite/", views.user_invite, name="invite"),
    path("<int:pk>/", views.user_detail, name="detail"),
    path("<int:pk>/role/", views.user_role, name="role"),
    path("<int:pk>/deactivate/", views.user_deactivate, name="deactivate"),
    path("<int:pk>/two-factor-reset/", views.user_reset_2fa, name="reset_2fa"),
    path("<int:pk>/unlock/", views.user_unlock, name="unlock"),
    path("welcome/<str:uidb64>/<str:token>/", views.welcome, name="welcome"),
]
