"""Settings for the latency benchmark only: the product's settings plus one bare view.

Selected with ``DJANGO_SETTINGS_MODULE=bench.settings`` by ``bench/bench_latency.py``; nothing
in the product imports it, so the bare view never exists in a deployment. Cookies are not
marked secure because the benchmark talks plain HTTP on loopback.
"""

from neuroregen.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
