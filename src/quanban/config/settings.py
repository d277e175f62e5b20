"""Quanban settings: one module, driven by environment variables.

Every setting a deployment may change is read from the environment here, with its default
documented in docs/operations.md. Nothing else in the code reads os.environ.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The checkout root in a development install (src/quanban/config -> repo); used for node_modules.
PROJECT_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("QUANBAN_VAR_DIR", Path.cwd() / "var"))
# The embedded database and the task queue's file live here; make it on first start.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("QUANBAN_DEBUG", True)
# The demo city shows each demo account's one-time code on the login page; only with DEBUG on.
DEMO_MODE = env_bool("QUANBAN_DEMO", True) and DEBUG
SECRET_KEY = os.environ.get(
    "QUANBAN_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = [h for h in os.environ.get("QUANBAN_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("QUANBAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "quanban.core",
    "quanban.accounts",
    "quanban.notify",
    "quanban.catalogue",
    "quanban.cases",
    "quanban.supervision",
    "quanban.feedback",
    "quanban.searchindex",
    "quanban.licences",
    "quanban.datahub",
    "quanban.api",
    "quanban.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "quanban.accounts.middleware.SessionTimeoutMiddleware",
    "quanban.core.context.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "quanban.config.urls"
WSGI_APPLICATION = "quanban.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "quanban.web.context.site",
            ],
        },
    },
]

VAR_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'quanban.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", VAR_DEFAULT_DB),
        # Persistent connections (a new one per request costs more than the request), checked
        # before reuse so that a database restart costs one error at most.
        conn_max_age=env_int("QUANBAN_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "QUANBAN_DB_PREPARED", True
):
    # Parameters bound by the server, and a statement run five times on a connection prepared
    # there: PostgreSQL then plans it once, not on every run (most of its CPU for the small
    # statements a request makes). Off (QUANBAN_DB_PREPARED=0) behind a pooler that cannot keep
    # prepared statements (PgBouncer before 1.21, or without max_prepared_statements). ADR 0010.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing mid-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "quanban.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "quanban.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
# Staff passwords expire after this many days (等保 level 3 asks for periodic change); 0 = never.
PASSWORD_MAX_AGE_DAYS = env_int("QUANBAN_PASSWORD_MAX_AGE_DAYS", 90)
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:workbench"

# Lockout after repeated failures (django-axes): 5 failures lock the account for 30 minutes.
AXES_FAILURE_LIMIT = env_int("QUANBAN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("QUANBAN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "quanban.accounts.lockout.lockout_response"
AXES_VERBOSE = False

# Sessions: idle time-out (every request renews the cookie) and an absolute limit per login.
SESSION_IDLE_TIMEOUT_S = env_int("QUANBAN_SESSION_IDLE_S", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT_S = env_int("QUANBAN_SESSION_ABSOLUTE_S", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_S
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

OTP_TOTP_ISSUER = "Quanban 全办"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("QUANBAN_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
NODE_MODULES = Path(os.environ.get("QUANBAN_NODE_MODULES", PROJECT_DIR / "node_modules"))
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Background work: Huey on a SQLite file by default (no server needed), Redis when configured.
HUEY_REDIS_URL = os.environ.get("QUANBAN_REDIS_URL", "")
HUEY: dict[str, object]
if HUEY_REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "quanban", "url": HUEY_REDIS_URL}
else:
    HUEY = {
        "huey_class": "quanban.core.taskqueue.SqliteQueue",
        "name": "quanban",
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = env_bool("QUANBAN_TASKS_IMMEDIATE", False)
HUEY["consumer"] = {"workers": env_int("QUANBAN_WORKER_THREADS", 2), "worker_type": "thread"}

# The SMS adapter: "sandbox" writes messages to the outbox and the worker log.
SMS_ADAPTER = os.environ.get("QUANBAN_SMS_ADAPTER", "sandbox")
SMS_CODE_TTL_S = env_int("QUANBAN_SMS_CODE_TTL_S", 5 * 60)

# E-mail (docs/notifications.md): a file per message under var/mail/ by default (the demo);
# QUANBAN_EMAIL_BACKEND=smtp and the QUANBAN_EMAIL_* settings for a real mail server.
_EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_email_backend = os.environ.get("QUANBAN_EMAIL_BACKEND", "file")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_FILE_PATH = Path(os.environ.get("QUANBAN_EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("QUANBAN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("QUANBAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("QUANBAN_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("QUANBAN_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("QUANBAN_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("QUANBAN_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("QUANBAN_EMAIL_TIMEOUT_S", 30)
DEFAULT_FROM_EMAIL = os.environ.get("QUANBAN_EMAIL_FROM", "全办 <noreply@quanban.local>")
# Quiet hours for non-urgent SMS and e-mail of people who did not choose their own (city time).
NOTIFY_QUIET_HOURS = os.environ.get("QUANBAN_NOTIFY_QUIET_HOURS", "22:00-07:00")
# The 容缺 reminder goes this many working days before the supply date.
DEFERRAL_REMINDER_WORKING_DAYS = env_int("QUANBAN_DEFERRAL_REMINDER_DAYS", 2)

# The city this installation serves: its division code prefixes case numbers.
CITY_DIVISION_CODE = os.environ.get("QUANBAN_CITY_CODE", "370100")

# Electronic seals of licences (docs/licences.md): the directory holding each department's seal
# keys (outside the database) and the algorithm new keys use ("sm2", or "ed25519").
LICENCE_SEAL_DIR = Path(os.environ.get("QUANBAN_SEAL_DIR", VAR_DIR / "seals"))
LICENCE_SEAL_ALGORITHM = os.environ.get("QUANBAN_SEAL_ALGORITHM", "sm2")
# How long a holder's share link of a licence stays valid, in hours (at most 30 days).
LICENCE_SHARE_HOURS = env_int("QUANBAN_LICENCE_SHARE_HOURS", 72)

# Electronic archives of closed cases (docs/licences.md, "Electronic archives"): where the packages
# are written, the seal-store name of the platform's own seal that signs their manifests (the
# operating body's credit code in production), how long each item type's packages are kept
# (JSON {"item type code": years or null for permanent}, merged over the defaults of
# quanban.licences.archives.RETENTION_YEARS) and how many cases one sweep archives.
ARCHIVE_DIR = Path(os.environ.get("QUANBAN_ARCHIVE_DIR", VAR_DIR / "archives"))
PLATFORM_SEAL_CODE = os.environ.get("QUANBAN_PLATFORM_SEAL_CODE", "platform")
ARCHIVE_RETENTION = os.environ.get("QUANBAN_ARCHIVE_RETENTION", "")
ARCHIVE_SWEEP_BATCH = env_int("QUANBAN_ARCHIVE_SWEEP_BATCH", 200)
# The site's public address, for the links and QR codes printed on documents made without a
# request (the archive's notices and licence); empty: links relative to the site.
PUBLIC_URL = os.environ.get("QUANBAN_PUBLIC_URL", "")

# 绩效评估: the weights of the monthly score ("on_time=100,rating=0,yellow=1,red=3,complaint=5";
# keys left out keep their default). See docs/evaluation.md.
# Connections the card sweep drains a backlog with, side by side (docs/supervision.md).
SUPERVISION_SWEEP_THREADS = env_int("QUANBAN_SWEEP_THREADS", 2)
EVALUATION_WEIGHTS = os.environ.get(
    "QUANBAN_EVALUATION_WEIGHTS", "on_time=100,rating=0,yellow=1,red=3,complaint=5"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QUANBAN_LOG_LEVEL", "INFO")},
    # The Huey consumer installs its own handler on "huey"; don't print its lines twice.
    "loggers": {"axes": {"level": "WARNING"}, "huey": {"propagate": False}},
}

# Accounts are locked by user name, not by IP: a whole service hall shares one public address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
