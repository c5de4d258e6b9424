"""Settings for every mode, read from the environment.

Embedded default: SQLite (WAL) in the data folder, local-memory cache, database sessions, tasks run by a worker
started beside the web server. Scaled: DATABASE_URL=postgres://…, REDIS_URL=redis://… for cache and sessions.
YIZHENG_ENV=production refuses to start with DEBUG on or an insecure SECRET_KEY.
"""

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("YIZHENG_DATA_DIR", BASE_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("YIZHENG_ENV", "embedded")  # embedded | production | test
PRODUCTION = ENV == "production"


def _flag(name: str, default: bool) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off, any case; unset: `default`."""
    value = os.environ.get(name, "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    return default


DEBUG = os.environ.get("DEBUG", "0").lower() in {"1", "true", "yes"}


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if PRODUCTION:
        if DEBUG:
            raise ImproperlyConfigured("Refusing to start: DEBUG is on in production mode.")
        weak = len(key) < 50 or key.startswith("django-insecure") or len(set(key)) < 5
        if weak:
            raise ImproperlyConfigured(
                "Refusing to start: SECRET_KEY must be set to a random value of at least 50 characters "
                "in production mode."
            )
        return key
    if key:
        return key
    # Embedded mode: one random key per data folder, kept so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "yizheng.core",
    "yizheng.audit",
    "yizheng.org",
    "yizheng.followups",
    "yizheng.proposals",
    "yizheng.notifications",
    "yizheng.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yizheng.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yizheng.core.middleware.IdleSessionMiddleware",
    "yizheng.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yizheng.core.middleware.RequestContextMiddleware",
    "yizheng.core.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yizheng" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yizheng.core.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'yizheng.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600 if "sqlite" in DATABASE_URL else 60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock at BEGIN, so concurrent writers queue instead of failing mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Behind a pooler in transaction mode (pgbouncer's pool_mode=transaction) a connection is not the same server
    # session from one transaction to the next: no server-side cursors, no prepared statements kept.
    PG_TRANSACTION_POOLING = _flag("YIZHENG_PG_TRANSACTION_POOLING", False)
    if PG_TRANSACTION_POOLING:
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Parameters bound by the server, and a statement run five times on a connection kept prepared there
    # (psycopg's automatic prepared statements): PostgreSQL then neither parses nor plans the same query shape
    # again. Planning was most of the database's time on the hot pages (a proposal read by its key with its
    # four joins: 0.9 ms to plan and run, of which 0.2 ms to run). Off behind a transaction-mode pooler, or
    # with YIZHENG_PG_PREPARED=0. Options given in DATABASE_URL (sslmode, …) are kept and win.
    if _flag("YIZHENG_PG_PREPARED", not PG_TRANSACTION_POOLING):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions ------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# A cache every web process reads (Redis): only then may what one process cached be dropped by another's change
# (the caller's roles are cached across requests only then: yizheng.org.permissions.roles_of).
SHARED_CACHE = bool(REDIS_URL)
if REDIS_URL:
    # Keys carry the database they describe: two installations (staging and production, two councils) sharing
    # one Redis database never read each other's entries, such as a user id's cached roles.
    CACHE_KEY_PREFIX = os.environ.get("YIZHENG_CACHE_PREFIX") or (
        "yz-" + hashlib.sha256(DATABASE_URL.encode()).hexdigest()[:10]
    )
    CACHES = {
        "default": {
            "BACKEND": "yizheng.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- tasks ----------------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": os.environ.get("YIZHENG_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- accounts and security (等保2.0 level 3 application basics) ----------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yizheng.org.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(os.environ.get("YIZHENG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("YIZHENG_LOCKOUT_HOURS", "0.5"))  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

SESSION_COOKIE_AGE = int(os.environ.get("YIZHENG_IDLE_MINUTES", "30")) * 60  # idle timeout
SESSION_SAVE_EVERY_REQUEST = (
    False  # the idle timeout is renewed once a minute (core.middleware.IdleSessionMiddleware)
)
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = os.environ.get("YIZHENG_HTTPS", "1" if PRODUCTION else "0") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("YIZHENG_SSL_REDIRECT", "1" if PRODUCTION else "0") == "1"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
YIZHENG_IMPORT_MAX_BYTES = 20 * 1024 * 1024

# Audit trail: events are never deleted by the platform; rotated log files are kept at least this long.
YIZHENG_LOG_RETENTION_DAYS = max(180, int(os.environ.get("YIZHENG_LOG_RETENTION_DAYS", "190")))
LOG_DIR = DATA_DIR / "logs"
LOG_DIR.mkdir(exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {
            "class": "logging.handlers.TimedRotatingFileHandler",
            "filename": str(LOG_DIR / "yizheng.log"),
            "when": "midnight",
            "backupCount": YIZHENG_LOG_RETENTION_DAYS,
            "encoding": "utf-8",
            "formatter": "plain",
            "delay": True,
        },
    },
    "root": {"handlers": ["console", "file"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- email ----------------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "yizheng@localhost")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"

# --- i18n -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yizheng" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
DEFAULT_CHARSET = "utf-8"

# --- static and media ------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

YIZHENG_SITE_NAME = _("议政 · 智慧政协")
NINJA_PAGINATION_PER_PAGE = 50

# Lock-out is by account name: offices sit behind one NAT address, so locking an address would lock out every
# member of an office after a few colleagues mistype their passwords.
# HSTS preload is a decision about the council's whole domain, not this application's.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "security.W021"]
