"""Gunicorn settings for `yizheng serve`; the command line adds --bind, --workers and --threads.

Gunicorn is the production WSGI server (see docs/deploy.md for why). Pre-fork workers each run a few threads
(gthread), which suits the synchronous Django ORM: a slow request holds one thread, not the process. Workers are
recycled after a number of requests so that memory never creeps. Values can be tuned by environment variables.
"""

import os
from pathlib import Path

wsgi_app = "config.wsgi:application"
proc_name = "yizheng"
worker_class = "gthread"
timeout = int(os.environ.get("YIZHENG_WORKER_TIMEOUT", "60"))  # a worker silent this long is restarted
graceful_timeout = 25  # on SIGTERM, finish requests in flight for at most this long
keepalive = 5
max_requests = int(os.environ.get("YIZHENG_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Trust X-Forwarded-Proto / X-Forwarded-For only from the reverse proxy (nginx on the same host by default).
forwarded_allow_ips = os.environ.get("YIZHENG_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None
# nginx writes the access log in production; set YIZHENG_ACCESS_LOG=- to have gunicorn print one too.
accesslog = os.environ.get("YIZHENG_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("YIZHENG_LOG_LEVEL", "info")
# No runtime control socket: it would live in the home folder and clash between two instances on one host.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """The application is loaded in this worker: read the URL patterns and the Chinese catalogue too, then hide
    all of it from the garbage collector (`gc.freeze`). Import and set-up leave ≈180k long-lived objects, and a
    full collection walks every one: on the ten-year benchmark one request in a few hundred waited ≈90 ms for
    it. Frozen, a full collection looks only at what requests made. Objects are never moved or freed by this,
    only no longer scanned; what set-up made lives as long as the worker anyway."""
    import gc

    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports every view module now, not in the first request
    translation.activate(settings.LANGUAGE_CODE)
    translation.deactivate()
    gc.collect()
    gc.freeze()
