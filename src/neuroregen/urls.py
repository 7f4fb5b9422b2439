from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from neuroregen.api import views as api_views
from neuroregen.api.api import api
from neuroregen.core import access
from neuroregen.core import views as core_views
from neuroregen.participants import views as participant_views

urlpatterns = [
    path("", participant_views.dashboard, name="dashboard"),
    path(
        "login/",
        access.public(auth_views.LoginView.as_view(template_name="core/login.html")),
        name="login",
    ),
    path("logout/", access.public(auth_views.LogoutView.as_view()), name="logout"),
    path("participants/", include("neuroregen.participants.urls")),
    path("protocols/", include("neuroregen.protocols.urls")),
    path("visits/", include("neuroregen.visits.urls")),
    path("products/", include("neuroregen.products.urls")),
    path("instruments/", include("neuroregen.instruments.urls")),
    path("biomarkers/", include("neuroregen.biomarkers.urls")),
    path("safety/", include("neuroregen.safety.urls")),
    path("evidence/", include("neuroregen.evidence.urls")),
    path("reports/", include("neuroregen.reports.urls")),
    path("family/", include("neuroregen.reports.family_urls")),
    path("interop/", include("neuroregen.interop.urls")),
    path("i18n/setlang/", core_views.language_set, name="set_language"),
    path("account/tokens/", api_views.api_tokens, name="api_tokens"),
    path("account/", include("neuroregen.core.urls")),
    path("users/", include("neuroregen.accounts.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Over-limit bodies and too many fields: a page that says so, not a bare "Bad Request".
handler400 = "neuroregen.core.upload_limits.bad_request"
