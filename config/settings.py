"""Settings, read from the environment with django-environ.

With no environment at all the product runs embedded: SQLite, Celery's filesystem
transport and email written to files, all under ``var/``. Every service is chosen by one
variable (``DATABASE_URL``, ``REDIS_URL`` / ``CELERY_BROKER_URL``, ``EMAIL_URL``); every
variable is listed in ``.env.example`` and the README.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# "Embedded" means nobody configured a database: the laptop default of `make run`. Demo
# credentials and a generated secret key exist only there, never in production.
EMBEDDED = "DATABASE_URL" not in env.ENVIRON
DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    if key := env("SECRET_KEY", default=""):
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN, works offline)
    "simple_history",
    "django_htmx",
    "template_partials",
    # Ours, bottom-up: core <- suppliers <- licensing <- shipments <- exposure <- notifications
    # <- portal <- demo (docs/architecture.md)
    "core",
    "suppliers",
    "licensing",
    "shipments",
    "exposure",
    "notifications",
    "portal",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # /api/ bodies and URIs over their limits: 413/414 in the API's error shape.
    "core.api.middleware.ApiLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the request's user on every django-simple-history row.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out the
    # short write locks SQLite takes instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The importer's UI is English; the supplier portal speaks both (docs/supplier-portal.md).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded documents are private: MEDIA_ROOT is never served by URL, only through a view
# that checks the login (docs/architecture.md#documents).
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024  # bulk API calls of 10,000 rows

# --- Email -------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp://user:pass@mail.example.com:587 or smtp+tls://...; the embedded
# default writes each message to a file under var/mail/.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    # django-environ drops the leading "/" of filemail:///absolute/path, which would write the
    # mail relative to whatever directory the worker started in: restore it.
    _mail_path = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or ""
    EMAIL_FILE_PATH = "/" + _mail_path.lstrip("/") if _mail_path else str(VAR_DIR / "mail")

def _default_sender() -> str:
    """alerts@ the site's domain; a reserved .invalid domain while the site has none (an IP or
    localhost), which mail servers refuse rather than deliver as someone else's."""
    host = SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0].strip("[]")
    named = "." in host and not host.replace(".", "").isdigit() and ":" not in host
    return f"Rare-earth licence tracker <alerts@{host if named else 'licence-tracker.invalid'}>"


DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=_default_sender())
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Celery ------------------------------------------------------------------------------
# Broker: CELERY_BROKER_URL, else REDIS_URL, else the filesystem transport under var/.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu keeps its exchange tables in the control folder (default: ./control).
        "control_folder": str(_queue_dir / "control"),
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
else:
    # An unacknowledged message (its worker died) is handed out again after this many
    # seconds. Deliveries are idempotent (claim before send), so a short timeout is safe
    # and lets a killed worker's batch resume within a minute instead of the default hour.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only after it ran ...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ... and re-queued if its worker died under it
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}  # filled by the notifications section below
# Two queues: the periodic scans (which also repair stuck deliveries) never wait behind a
# backlog of deliveries. Every worker consumes both (`-Q scans,celery`: Procfile, scripts/run);
# kombu takes from its queues in turn, so a scan waits for at most one task per process.
CELERY_TASK_DEFAULT_QUEUE = "celery"
SCAN_QUEUE = "scans"
CELERY_TASK_ROUTES = {
    "notifications.tasks.scan": {"queue": SCAN_QUEUE},
    "notifications.tasks.process_outbox": {"queue": SCAN_QUEUE},
    "notifications.tasks.send_digests": {"queue": SCAN_QUEUE},
    "notifications.tasks.sweep": {"queue": SCAN_QUEUE},
    "notifications.tasks.daily": {"queue": SCAN_QUEUE},
    "shipments.tasks.analytics_refresh": {"queue": SCAN_QUEUE},
    "core.tasks.purge_idempotency_records": {"queue": SCAN_QUEUE},
}

# --- The statutory clock (docs/architecture.md#clock) ----------------------------------------------------
# Working days MOFCOM has to decide, per licence kind; a changed rule is one edit here.
REVIEW_PERIOD_WORKING_DAYS = {
    "single": env.int("REVIEW_PERIOD_SINGLE", default=45),
    "general": env.int("REVIEW_PERIOD_GENERAL", default=45),
}
# No public source says whether MOFCOM's clock stops while a supplement is requested;
# the default assumes it does, and the UI says which rule is in force.
SUPPLEMENT_PAUSES_CLOCK = env.bool("SUPPLEMENT_PAUSES_CLOCK", default=True)
# "Today" for the statutory clock is the date in China, where MOFCOM's days are counted.
CLOCK_TIME_ZONE = env("CLOCK_TIME_ZONE", default="Asia/Shanghai")
# GAC Announcement No. 123 of 2025: the exporter answers a customs challenge in 7 working days.
CUSTOMS_RESPONSE_WORKING_DAYS = env.int("CUSTOMS_RESPONSE_WORKING_DAYS", default=7)
# Longest validity in years before a licence is accepted only with a warning.
LICENCE_MAX_VALIDITY_YEARS = {"single": 1, "general": 3}
# Assign the suggested licence to a shipment created without one (else only suggest it).
AUTO_ASSIGN_LICENCE = env.bool("AUTO_ASSIGN_LICENCE", default=False)

# --- Analytics (docs/analytics.md) --------------------------------------------------------------
PREDICTION_MIN_SAMPLE = env.int("PREDICTION_MIN_SAMPLE", default=5)
DEFAULT_DECISION_TO_ARRIVAL_DAYS = env.int("DEFAULT_DECISION_TO_ARRIVAL_DAYS", default=35)

# --- API (docs/architecture.md#api) ----------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys first: their "WWW-Authenticate: Token" makes a request without credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ApiPermission"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    # JSON in, JSON (or the browsable API) out: one body format to document and to test.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ApiThrottle"],
    # Per API key (per user for sessions). A nightly push is a few bulk calls; an hourly pull
    # pages through changes with page_size=500, so these leave ample room for honest clients.
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env("API_THROTTLE_KEY", default="1200/min"),
        "api_user": env("API_THROTTLE_USER", default="600/min"),
        "api_bulk": env("API_THROTTLE_BULK", default="30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rare-earth licence tracker API",
    "DESCRIPTION": "Suppliers, purchase orders, shipments, licence applications, licences, "
    "policy events and alerts for ERP systems. Authenticate with `Authorization: Token <key>`. "
    "Every error has the shape `{\"type\", \"errors\": [{\"code\", \"detail\", \"attr\"}]}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the pinned drf-spectacular-sidecar package, not a CDN at @latest.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "licensing.models.applications.ApplicationStatus",
        "ShipmentStatusEnum": "shipments.models.ShipmentStatus",
        "LicenceStatusEnum": "licensing.models.licences.LicenceStatus",
        "UnitEnum": "licensing.models.items.Unit",
        "TransportModeEnum": "licensing.models.items.TransportMode",
        "LicenceKindEnum": "licensing.models.applications.LicenceKind",
        "PurchaseOrderStatusEnum": [("open", "Open"), ("closed", "Closed"), ("cancelled", "Cancelled")],
        "PolicyEventKindEnum": [
            "rule", "announcement", "effective", "suspension", "expiry", "tariff_threat", "tariff_change",
            "meeting", "licensing_practice", "list_action", "reaction",
        ],
    },
}
# Throttle counters: Redis when there is one (atomic INCR), else a row per key in the database.
API_THROTTLE_REDIS_URL = env("API_THROTTLE_REDIS_URL", default=REDIS_URL)
API_THROTTLE_PREFIX = env("API_THROTTLE_PREFIX", default="throttle")
# /api/ URIs longer than this answer 414 (gunicorn refuses request lines over 8190 bytes itself).
API_MAX_URI_LENGTH = env.int("API_MAX_URI_LENGTH", default=4096)
# JSON bodies nested deeper than this answer 400 (a bulk row with its lines is 4 levels deep).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# Sync lists (updated_since / cursor) hold back rows changed in the last this many seconds, so a
# transaction still running (a bulk upsert) commits before the cursor passes its rows' stamps.
API_SYNC_SETTLE_SECONDS = env.int("API_SYNC_SETTLE_SECONDS", default=60)
# Bulk upserts (POST shipments/bulk/, purchase-orders/bulk/) take at most this many rows.
API_BULK_MAX_ROWS = env.int("API_BULK_MAX_ROWS", default=10_000)

# The dashboard's delay charts are cached this long at most (dropped on every status change).
DELAY_STATS_CACHE_SECONDS = env.int("DELAY_STATS_CACHE_SECONDS", default=600)

# --- Notifications (docs/architecture.md#alerts) ------------------------------------------------------------
ALERT_SCAN_MINUTES = env.int("ALERT_SCAN_MINUTES", default=15)
# Lead times per kind (docs/architecture.md#alerts); each user may override them in "My notifications".
# decision_due_soon, acceptance_pending and customs_response_due count Chinese working days;
# the others count calendar days. A policy event's own lead_days win over policy_event_upcoming.
ALERT_LEAD_TIMES = {
    "decision_due_soon": env.list("ALERT_LEAD_DECISION_DUE_SOON", cast=int, default=[10, 5, 1]),
    "acceptance_pending": env.list("ALERT_LEAD_ACCEPTANCE_PENDING", cast=int, default=[5]),
    "customs_response_due": env.list("ALERT_LEAD_CUSTOMS_RESPONSE_DUE", cast=int, default=[5, 2, 0]),
    "licence_expiring": env.list("ALERT_LEAD_LICENCE_EXPIRING", cast=int, default=[30, 14, 7]),
    "policy_event_upcoming": env.list("ALERT_LEAD_POLICY_EVENT_UPCOMING", cast=int, default=[30, 7, 1]),
    "document_expiring": env.list("ALERT_LEAD_DOCUMENT_EXPIRING", cast=int, default=[30, 7]),
}
# licence_low_balance: a line's balance under this share of its approved quantity.
ALERT_LOW_BALANCE_SHARE = env.float("ALERT_LOW_BALANCE_SHARE", default=0.10)
# policy_event_impact is critical from this many open items touched (or any pending shipment).
ALERT_POLICY_IMPACT_CRITICAL = env.int("ALERT_POLICY_IMPACT_CRITICAL", default=5)
# An upcoming policy event found touching nothing open at its lead is read again this often
# (reading it reads every open line); one alerted at a lead waits for its next lead.
ALERT_POLICY_IMPACT_RECHECK_HOURS = env.int("ALERT_POLICY_IMPACT_RECHECK_HOURS", default=6)
# An upcoming policy event counts every open record it touches and names the first this many of each kind.
ALERT_AFFECTED_LISTED = env.int("ALERT_AFFECTED_LISTED", default=50)
# licence_low_balance and shipment_after_expiry are checked incrementally: only licences and
# shipments written since the previous completed scan (their indexed updated_at). A row is
# stamped when its transaction writes it but seen only once that commits, so each scan looks
# back this much further than the previous scan's start: it must exceed the longest write
# transaction (a 10,000-row bulk upsert takes seconds) plus any clock skew between machines.
ALERT_SCAN_OVERLAP_SECONDS = env.int("ALERT_SCAN_OVERLAP_SECONDS", default=900)
# More changed rows than this since the previous scan (a large import, the first scan): the
# incremental checks look at every row instead, with one grouped aggregate.
ALERT_SCAN_INCREMENTAL_MAX = env.int("ALERT_SCAN_INCREMENTAL_MAX", default=5000)
# decision_overdue repeats at most this often while an application stays overdue.
ALERT_OVERDUE_REMINDER_DAYS = env.int("ALERT_OVERDUE_REMINDER_DAYS", default=7)
# Daily digest: local hour and time zone for users who chose none.
ALERT_DIGEST_HOUR = env.int("ALERT_DIGEST_HOUR", default=7)
ALERT_DEFAULT_TIME_ZONE = env("ALERT_DEFAULT_TIME_ZONE", default="Europe/Berlin")
# A delivery claimed ("sending") longer than this belongs to a dead worker and may be claimed
# again. A live sender renews its batch's claims every quarter of this (notifications/tasks.py),
# so it only has to exceed that plus the longest one message or webhook may take (the SMTP and
# webhook time-outs). With the sweeper every 30 s, a killed worker's rows are sent again within
# 60 + 30 s plus the sending (docs/alerts.md, "Recovery"), inside the 2 minutes promised.
ALERT_CLAIM_TIMEOUT = env.int("ALERT_CLAIM_TIMEOUT", default=60)
# The sweeper (re-queues lost and stale deliveries and digests) runs this often, on the scans queue.
ALERT_SWEEP_SECONDS = env.int("ALERT_SWEEP_SECONDS", default=30)
# Retries of temporary failures (SMTP 4xx, connection errors, HTTP 5xx/timeouts):
# exponential backoff from RETRY_BASE seconds, capped at RETRY_MAX, at most MAX_RETRIES times.
ALERT_RETRY_BASE = env.int("ALERT_RETRY_BASE", default=30)
ALERT_RETRY_MAX = env.int("ALERT_RETRY_MAX", default=3600)
ALERT_MAX_RETRIES = env.int("ALERT_MAX_RETRIES", default=8)
# Webhooks: request timeout, and an endpoint is disabled after this many deliveries in a row
# that failed for good (a permanent 4xx, or retries exhausted).
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", default=10)
# Webhook URLs: https to public addresses only, unless these allow plain http or private,
# loopback and link-local addresses (a receiver on the same host or network; the tests).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5)
# Connect the core's on-commit signals to an early outbox run (the scan catches up anyway).
ALERT_WAKE_ON_SIGNAL = env.bool("ALERT_WAKE_ON_SIGNAL", default=True)
if not CELERY_BROKER_URL.startswith("filesystem://"):
    # Redis hands a dead worker's unacknowledged messages out again only when a sweep finds
    # them older than visibility_timeout; kombu sweeps every interval x throttle seconds
    # (10 x 10 = 100 s by default). A throttle of 1 makes the sweep every 10 s, so a killed
    # worker's batch resumes within visibility_timeout + 10 s.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
            "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=1),
        }
    )
# Retries with a countdown longer than the visibility timeout would be handed out again
# while still waiting (duplicates pile up); those are left to the scan's sweeper instead,
# which re-queues rows whose next_attempt_at has come.
ALERT_MAX_COUNTDOWN = CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) - 1
CELERY_BEAT_SCHEDULE.update(
    {
        # The deadline scan and outbox: creates due alerts, queues deliveries, repairs stuck ones.
        "notifications-scan": {"task": "notifications.tasks.scan", "schedule": ALERT_SCAN_MINUTES * 60},
        # The kinds that change at most daily (policy_review_due), outside the scan: once a day.
        "notifications-daily": {"task": "notifications.tasks.daily", "schedule": 24 * 60 * 60},
        # The sweeper: deliveries whose task was lost or whose worker died are queued again
        # (the claims decide who sends); frequent, because recovery waits for it.
        "notifications-sweep": {"task": "notifications.tasks.sweep", "schedule": ALERT_SWEEP_SECONDS},
        # Digests: every 15 minutes each user whose local digest hour has come gets today's digest
        # once (a missed hour is caught up by the next run, never sent twice).
        "notifications-digests": {"task": "notifications.tasks.send_digests", "schedule": 15 * 60},
        # Predicted decisions and purchase orders at risk (docs/analytics.md): hourly, because
        # predictions are dated from "today" and open supplement periods move them; a decision
        # also wakes this early (shipments.tasks.refresh_analytics_on_decision).
        "analytics-refresh": {"task": "shipments.tasks.analytics_refresh", "schedule": 60 * 60},
        # Idempotency-Key answers are promised for 24 hours; older ones are purged daily.
        "idempotency-purge": {"task": "core.tasks.purge_idempotency_records", "schedule": 24 * 60 * 60},
    }
)

# --- Supplier portal (docs/supplier-portal.md) -----------------------------------------------
PORTAL_LINK_DAYS = env.int("PORTAL_LINK_DAYS", default=90)  # a link's life; renewable
PORTAL_REMINDER_WORKING_DAYS = env.int("PORTAL_REMINDER_WORKING_DAYS", default=10)
PORTAL_THROTTLE_PER_MINUTE = env.int("PORTAL_THROTTLE_PER_MINUTE", default=60)  # requests per IP
CELERY_BEAT_SCHEDULE.update(
    {
        # Reminders to supplier contacts whose applications had no update for a while (at most weekly).
        "portal-reminders": {"task": "portal.tasks.send_reminders", "schedule": 24 * 60 * 60},
    }
)

# --- Web UI (docs/architecture.md#ui) -------------------------------------------------------------------
UI_PAGE_SIZE = env.int("UI_PAGE_SIZE", default=50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

if not DEBUG and not EMBEDDED:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: plain-HTTP requests are redirected, and browsers told to use HTTPS for a year.
    # Behind a proxy that terminates TLS it must send X-Forwarded-Proto (see above).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
