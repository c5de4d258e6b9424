"""Test settings: the same as any mode, with fast hashing and immediate tasks.

DATABASE_URL selects SQLite (default, a file under a temporary data folder) or PostgreSQL; REDIS_URL adds Redis.
"""

import os
import tempfile

os.environ.setdefault("YIZHENG_DATA_DIR", tempfile.mkdtemp(prefix="yizheng-test-"))
os.environ.setdefault("YIZHENG_ENV", "test")
os.environ.setdefault("YIZHENG_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")

from .base import *  # noqa: F403
from .base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
