"""Django settings for NeuroRegen.

Configuration comes from the environment so one build serves the demo, the tests and
production: ``DATABASE_URL`` selects PostgreSQL (absent → an SQLite file under ``./var/``),
``NEUROREGEN_SECRET_KEY``, ``NEUROREGEN_FIELD_KEYS`` and ``NEUROREGEN_BLIND_INDEX_KEY`` hold
secrets. Without ``NEUROREGEN_PRODUCTION=1`` development defaults are used and labelled so.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("NEUROREGEN_VAR_DIR", Path.cwd() / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("NEUROREGEN_PRODUCTION") == "1"
DEBUG = os.environ.get("NEUROREGEN_DEBUG", "0" if PRODUCTION else "1") == "1"


def _required_in_production(name: str, dev_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"{name} must be set when NEUROREGEN_PRODUCTION=1")
    return dev_default


SECRET_KEY = _required_in_production(
    "NEUROREGEN_SECRET_KEY", "development-only-secret-key-never-use-with-real-participants"
)


def _derived_dev_key(label: str) -> str:
    # Development keys are derived from the (development) secret so the demo works out of the box.
    digest = hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Fernet keys for identity fields, newest first; older keys stay to read data until rotated.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _required_in_production(
        "NEUROREGEN_FIELD_KEYS", _derived_dev_key("field-encryption")
    ).split(",")
    if key.strip()
]
BLIND_INDEX_KEY = _required_in_production(
    "NEUROREGEN_BLIND_INDEX_KEY", _derived_dev_key("blind-index")
)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("NEUROREGEN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("NEUROREGEN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "neuroregen.core",
    "neuroregen.api",
    "neuroregen.participants",
    "neuroregen.protocols",
    "neuroregen.visits",
    "neuroregen.products",
    "neuroregen.instruments",
    "neuroregen.biomarkers",
    "neuroregen.safety",
    "neuroregen.evidence",
    "neuroregen.reports",
    "neuroregen.interop",
    "neuroregen.accounts",
    "neuroregen.synthetic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "neuroregen.core.upload_limits.UploadLimitMiddleware",
    "neuroregen.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "neuroregen.core.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "neuroregen.core.security.ContentSecurityPolicyMiddleware",
    "neuroregen.core.security.StaffIdleTimeoutMiddleware",
    "neuroregen.core.security.StaffTwoFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "neuroregen.core.middleware.AccessMiddleware",
    "neuroregen.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "neuroregen.urls"
WSGI_APPLICATION = "neuroregen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "neuroregen.core.context_processors.neuroregen",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'neuroregen.sqlite3'}",
        conn_max_age=int(os.environ.get("NEUROREGEN_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take SQLite's file lock when their transaction begins (IMMEDIATE) and wait up
    # to `timeout` seconds for it. With the default (deferred) mode a transaction that read
    # first fails at once with "database is locked" when another writer got in between, and
    # the busy timeout never applies; serialised, a stale save is the usual 409 conflict.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # Write-ahead log: a commit (every answer saved during data entry) syncs one file once
    # instead of a rollback journal and the database, and readers never wait for a writer.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL"
# Optional read replica for the heavy read-only evidence pages (see core/routers.py).
if os.environ.get("NEUROREGEN_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["NEUROREGEN_REPLICA_URL"],
        conn_max_age=int(os.environ.get("NEUROREGEN_CONN_MAX_AGE", "0")),
    )
    # Tests run against one database: the replica mirrors it instead of getting its own.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["neuroregen.core.routers.EvidenceReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
# Two independent counters: wrong passwords for one account from any address, and from one
# address for any account. Administrators unlock early under Users (audited).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_ENABLED = os.environ.get("NEUROREGEN_AXES", "1") == "1"
# Proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated);
# from any other peer the header is ignored (see accounts/client_ip.py).
# The default matches gunicorn's (`neuroregen serve`): a proxy on the same host.
NEUROREGEN_FORWARDED_ALLOW_IPS = [
    entry.strip()
    for entry in os.environ.get("NEUROREGEN_FORWARDED_ALLOW_IPS", "127.0.0.1").split(",")
    if entry.strip()
]
AXES_CLIENT_IP_CALLABLE = "neuroregen.accounts.client_ip.client_ip"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only in production: redirect plain HTTP, and tell browsers never to try it (HSTS).
SECURE_SSL_REDIRECT = PRODUCTION and os.environ.get("NEUROREGEN_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = (
    int(os.environ.get("NEUROREGEN_HSTS_SECONDS", "31536000")) if PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if os.environ.get("NEUROREGEN_BEHIND_PROXY") == "1":
    # The TLS-terminating reverse proxy must set (and overwrite) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background jobs (reports) always wait in the job table. In production `neuroregen db_worker`
# processes build them, so a slow build never holds a web worker; elsewhere (the demo) a worker
# thread inside the server builds them while the page shows progress. NEUROREGEN_TASK_QUEUE
# overrides: "worker", "thread", or "immediate" (in the request; tests only).
_TASK_QUEUE = os.environ.get("NEUROREGEN_TASK_QUEUE", "worker" if PRODUCTION else "thread")
if _TASK_QUEUE == "worker":
    TASKS = {"default": {"BACKEND": "neuroregen.reports.queue.ReportJobBackend"}}
elif _TASK_QUEUE == "thread":
    TASKS = {"default": {"BACKEND": "neuroregen.reports.queue.ThreadWorkerBackend"}}

# Two-factor sign-in (TOTP) for every staff role; families may opt in. Always on in production;
# elsewhere off unless NEUROREGEN_2FA=1 so the demo opens with one password per role.
NEUROREGEN_REQUIRE_2FA = PRODUCTION or os.environ.get("NEUROREGEN_2FA", "0") == "1"
OTP_TOTP_ISSUER = "NeuroRegen"
# Staff sessions end after this many idle minutes (families keep SESSION_COOKIE_AGE).
NEUROREGEN_STAFF_IDLE_MINUTES = int(os.environ.get("NEUROREGEN_STAFF_IDLE_MINUTES", "30"))
# Content-Security-Policy: no inline script and no eval anywhere; inline style attributes are
# allowed (they cannot run code). Directives can be extended per deployment.
NEUROREGEN_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Largest file accepted by an upload (imports, attachments), in bytes.
NEUROREGEN_MAX_UPLOAD_BYTES = int(os.environ.get("NEUROREGEN_MAX_UPLOAD_BYTES", str(50 * 2**20)))
# Largest file answering a form's file field (an attachment), in bytes.
NEUROREGEN_MAX_FIELD_FILE_BYTES = int(
    os.environ.get("NEUROREGEN_MAX_FIELD_FILE_BYTES", str(10 * 2**20))
)
# Django's own request caps follow the documented limits instead of its defaults (2.5 MiB of
# body, 1000 fields), which refused large imports with a bare "Bad Request". Bodies over the
# upload limit are refused with our own message by core.upload_limits; files above
# FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file rather than held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = NEUROREGEN_MAX_UPLOAD_BYTES + 256 * 2**10
FILE_UPLOAD_MAX_MEMORY_SIZE = min(NEUROREGEN_MAX_FIELD_FILE_BYTES, 10 * 2**20)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("uk", _("Ukrainian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("NEUROREGEN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Serve static files straight from the source tree outside production (demo, tests).
WHITENOISE_USE_FINDERS = not PRODUCTION

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Child assent is sought from this age (years); guardians consent for every child.
NEUROREGEN_ASSENT_MIN_AGE_YEARS = int(os.environ.get("NEUROREGEN_ASSENT_MIN_AGE_YEARS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
