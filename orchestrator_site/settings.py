"""Baton settings: everything comes from the environment, read once here.

Two modes share this file. Queue mode is chosen by setting DATABASE_URL (PostgreSQL);
without it Baton runs in local mode on SQLite in the data dir, with the Redis server that
`make run` starts (its address comes from REDIS_URL, which the launcher sets, or from
the launcher's state file for commands run beside it).

Why one file of this size: every setting in one place, read through the typed helpers of
orchestrator_site.env, so a missing or malformed value stops start-up naming it.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_counts, env_float, env_int, env_json, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("BATON_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# Private to whoever runs Baton: it holds the database and the keys (see local.py).
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
LOCAL_STATE_FILE = DATA_DIR / "local.json"

DATABASE_URL = env_str("DATABASE_URL")
BATON_MODE = "queue" if DATABASE_URL else "local"


def _read_local_state() -> dict:
    try:
        return json.loads(LOCAL_STATE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def _data_dir_secret(name: str, make) -> str:
    """A secret generated once into the data dir (local mode only), readable by its owner."""
    path = DATA_DIR / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()


if BATON_MODE == "local":
    SECRET_KEY = env_str("BATON_SECRET_KEY") or _data_dir_secret(
        "secret_key", lambda: secrets.token_urlsafe(50)
    )
else:
    SECRET_KEY = env_str("BATON_SECRET_KEY") or ""
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "BATON_SECRET_KEY must be set in queue mode (DATABASE_URL is set): every web "
            "and worker process needs the same secret."
        )

# Encrypts credentials at rest (Fernet). Several keys, comma-separated, allow rotation: the
# first encrypts, all decrypt. Losing it makes the stored credentials unreadable.
if BATON_MODE == "local":
    BATON_CREDENTIALS_KEY = env_str("BATON_CREDENTIALS_KEY") or _data_dir_secret(
        "credentials_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
else:
    BATON_CREDENTIALS_KEY = env_str("BATON_CREDENTIALS_KEY") or ""
    if not BATON_CREDENTIALS_KEY:
        raise ImproperlyConfigured(
            "BATON_CREDENTIALS_KEY must be set in queue mode (DATABASE_URL is set): every web "
            "and worker process needs the same key to read credentials. Make one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )

REDIS_URL = env_str("REDIS_URL") or _read_local_state().get("redis_url")
if not REDIS_URL:
    if BATON_MODE == "queue":
        raise ImproperlyConfigured("REDIS_URL must be set in queue mode")
    # Commands run without the launcher (migrate, createsuperuser) need no Redis; anything
    # that does will fail to connect to this address with a clear connection error.
    REDIS_URL = "redis://127.0.0.1:1/0"

DEBUG = env_bool("BATON_DEBUG", False)
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000, minimum=1)
ALLOWED_HOSTS = env_list("BATON_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", HOST])
CSRF_TRUSTED_ORIGINS = env_list("BATON_CSRF_TRUSTED_ORIGINS", [])
# Pages on other origins whose websockets may use a signed-in session (scheme://host:port),
# e.g. the editor's dev server; the site's own origin is always allowed.
BATON_ALLOWED_ORIGINS = env_list("BATON_ALLOWED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "flows",
    "runs",
    "knowledge",
    "triggers",
    "evaluations",
]

MIDDLEWARE = [
    "orchestrator_site.middleware.BodySizeLimitMiddleware",
    "orchestrator_site.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers for sign-ins its backend refused.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orchestrator_site.urls"
ASGI_APPLICATION = "orchestrator_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "orchestrator_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# PostgreSQL connections of one process (web or worker) come from a pool of at most
# BATON_DB_POOL_SIZE, whatever the number of request or task threads; a thread waits up to
# BATON_DB_POOL_TIMEOUT seconds for one, then the request answers 503 with Retry-After.
# Connections are checked as they leave the pool, so a restarted PostgreSQL costs no errors.
BATON_DB_POOL_SIZE = env_int("BATON_DB_POOL_SIZE", 10, minimum=1)
BATON_DB_POOL_TIMEOUT = env_float("BATON_DB_POOL_TIMEOUT", 10.0)
if DATABASE_URL:
    DATABASES = {
        # Persistent connections are the pool's job: Django returns each to it after use.
        # (With a pool, health checks mean: checked as it leaves the pool.)
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 1,
            "max_size": BATON_DB_POOL_SIZE,
            "timeout": BATON_DB_POOL_TIMEOUT,
            "max_idle": 300,
        },
        # Pooled connections are our own (no external pooler in between), so the hot path's
        # statements may be prepared once per connection.
        "prepare_threshold": 5,
    }
    if env_str("BATON_TEST_DB_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": env_str("BATON_TEST_DB_NAME")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("BATON_SQLITE_PATH") or str(DATA_DIR / "baton.sqlite3"),
            # Several processes write (web, worker children): WAL lets readers go on while
            # one writes, IMMEDIATE takes the write lock at BEGIN so two writers queue on
            # the busy timeout instead of deadlocking on a lock upgrade.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
                ),
            },
            # A file (not :memory:) so worker and server processes started by tests share it.
            "TEST": {"NAME": env_str("BATON_TEST_DB_NAME") or str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins while an account or a client address is locked out (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (/login, /admin/login/) are counted per account and, separately, per
# client address (REMOTE_ADDR: behind a proxy, run Daphne with --proxy-headers); at the
# limit that account or address waits out the cool-off (429 with Retry-After).
AXES_FAILURE_LIMIT = env_int("BATON_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("BATON_LOGIN_COOLOFF_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
EDITOR_DIST_DIR = BASE_DIR / "frontend" / "dist"
# The editor's build output (assets under /static/assets/) and the site's own files.
STATICFILES_DIRS = [BASE_DIR / "orchestrator_site" / "static"]
if EDITOR_DIST_DIR.exists():
    STATICFILES_DIRS.append(EDITOR_DIST_DIR)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Request limits -----------------------------------------------------------------------
BATON_MAX_BODY_BYTES = env_int("BATON_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = BATON_MAX_BODY_BYTES
# Multipart uploads (knowledge-base documents) have their own limit.
BATON_MAX_UPLOAD_BYTES = env_int("BATON_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
BATON_MAX_NODES = env_int("BATON_MAX_NODES", 2000, minimum=1)
BATON_MAX_EDGES = env_int("BATON_MAX_EDGES", 6000, minimum=1)
# JSON nested deeper than this is refused (400) at every entry point: deep nesting only
# serves to exhaust recursion in whatever walks the value later.
BATON_MAX_JSON_DEPTH = env_int("BATON_MAX_JSON_DEPTH", 64, minimum=8)

# --- Security headers -------------------------------------------------------------------
# Behind HTTPS (a TLS-terminating proxy that sets X-Forwarded-Proto): cookies only over
# HTTPS, browsers told to stay on HTTPS for a year, and the proxy's header trusted for the
# scheme. Only set it when such a proxy is in front: the header is taken at its word.
BATON_HTTPS = env_bool("BATON_HTTPS", False)
SESSION_COOKIE_SECURE = BATON_HTTPS
CSRF_COOKIE_SECURE = BATON_HTTPS
SECURE_HSTS_SECONDS = 31536000 if BATON_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
if BATON_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerKeyAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "orchestrator_site.parsers.JSONParser",
        "orchestrator_site.parsers.MultiPartParser",
        "orchestrator_site.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orchestrator_site.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "orchestrator_site.pagination.Pagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiKeyRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baton API",
    "DESCRIPTION": "Flows, runs and node types of Baton, the visual AI orchestrator.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "runs.models.Run.STATUS_CHOICES",
        "NodeStatusEnum": "runs.models.NodeRun.STATUS_CHOICES",
        "DocumentStatusEnum": "knowledge.models.Document.STATUS_CHOICES",
    },
    # 3.1: JSON Schema proper, which can say that an SSE event's data is JSON.
    "OAS_VERSION": "3.1.0",
    "PATH_CONVERTER_OVERRIDES": {"id": int, "number": int, "version_ref": str},
    # The API speaks JSON (docs/api-shapes.md). The form parsers stay on for uploads, but are not
    # what programs should send: documenting them would invite bodies that Daphne itself
    # refuses with a bare 400 when malformed, before Django sees them.
    "PARSER_WHITELIST": ["orchestrator_site.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orchestrator_site.schema.add_error_responses",
    ],
}

# Shared by every web process: the request counters of API key throttling.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("BATON_CHANNEL_PREFIX", "baton"),
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }
}

# --- Channels -------------------------------------------------------------------------------
BATON_CHANNEL_PREFIX = env_str("BATON_CHANNEL_PREFIX", "baton")
CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer is the fastest push here (~0.8 ms); it can drop messages while
        # Redis reconnects, which clients survive because every (re)connect gets a snapshot
        # and the consumer resyncs on a gap in `seq`.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": BATON_CHANNEL_PREFIX},
    }
}

# --- Celery ---------------------------------------------------------------------------------
BATON_QUEUE = env_str("BATON_QUEUE", "baton")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = BATON_QUEUE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    # Unacked messages of a worker that vanished come back after this long; the sweeper
    # re-queues lost nodes long before, so this only bounds duplicate deliveries.
    "visibility_timeout": env_int("BATON_VISIBILITY_TIMEOUT", 3600, minimum=60),
}
_broker_prefix = env_str("BATON_BROKER_KEYPREFIX")
if _broker_prefix:
    # Lets several Baton installations (or test sessions) share one Redis database.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = _broker_prefix
# Nodes mostly wait (HTTP, models, MCP): a worker runs them on threads, many at once, and
# what is CPU-bound runs in a process of its own anyway (code nodes, reading documents).
# "prefork" runs one node per process instead (BATON_WORKER_CONCURRENCY processes).
BATON_WORKER_POOL = env_str("BATON_WORKER_POOL", "threads")
if BATON_WORKER_POOL not in ("threads", "prefork"):
    raise ImproperlyConfigured("BATON_WORKER_POOL must be threads or prefork")
CELERY_WORKER_POOL = BATON_WORKER_POOL
CELERY_WORKER_CONCURRENCY = env_int(
    "BATON_WORKER_CONCURRENCY", 64 if BATON_WORKER_POOL == "threads" else 2, minimum=1
)
# Nodes of one type a threads-pool worker runs at once (runs.worker.slots): by default
# three quarters of its threads for each type, code nodes at most one per core.
BATON_NODE_TYPE_LIMITS = env_counts("BATON_NODE_TYPE_LIMITS")
# Celery beat (one process: `make beat` in queue mode; `make run` starts it in local mode)
# sends the schedule tick; a tick nobody took in time is dropped, the next one does its work.
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- The run engine -------------------------------------------------------------------------
# How long a worker's claim on a running node lasts without a heartbeat.
BATON_LEASE_SECONDS = env_float("BATON_LEASE_SECONDS", 30.0)
# How often each worker looks for lost, overdue or stuck work.
BATON_SWEEP_SECONDS = env_float("BATON_SWEEP_SECONDS", 2.0)
# A queued node whose task has not started after this long is sent again.
BATON_REQUEUE_AFTER_SECONDS = env_float("BATON_REQUEUE_AFTER_SECONDS", 60.0)
# A waiting node (a delay, a retry's pause, an answered approval) whose wake-up has not come
# this long after it was due — lost with a worker or a broker restart — is woken by the next
# sweep; and again every this long while it stays asleep (a second wake-up does nothing).
BATON_WAKE_GRACE_SECONDS = env_float("BATON_WAKE_GRACE_SECONDS", 3.0)
# Default and ceiling of a node's timeout, in seconds.
BATON_NODE_TIMEOUT_DEFAULT = env_float("BATON_NODE_TIMEOUT_DEFAULT", 600.0)
BATON_NODE_TIMEOUT_MAX = env_float("BATON_NODE_TIMEOUT_MAX", 24 * 3600.0)
# A worker may run a node's ready successor itself instead of queueing it, for up to this
# long in one task, which saves a broker round trip per node on chains.
BATON_CONTINUATION_SECONDS = env_float("BATON_CONTINUATION_SECONDS", 5.0)
# The process that starts a run (a web request) runs its ready inline nodes itself for up to
# this long: a flow of inline nodes then ends inside the request, with no broker trip.
BATON_INLINE_START_SECONDS = env_float("BATON_INLINE_START_SECONDS", 0.5)
# Start every run in a worker instead (a task through the broker): keeps web processes free
# of node work, at a broker round trip per run (the benchmarks' "before" mode).
BATON_START_IN_WORKER = env_bool("BATON_START_IN_WORKER", False)
# Outputs larger than this go out in events as a preview; the API serves the whole value.
BATON_EVENT_OUTPUT_MAX_BYTES = env_int("BATON_EVENT_OUTPUT_MAX_BYTES", 64 * 1024, minimum=1024)
BATON_NODE_OUTPUT_MAX_BYTES = env_int("BATON_NODE_OUTPUT_MAX_BYTES", 16 * 1024 * 1024)
# Extra node type modules (plugins): dotted paths of modules with a NODE_TYPES list.
BATON_NODE_PLUGINS = env_list("BATON_NODE_PLUGINS", [])
# Hosts, IPs, CIDRs or host:port that outbound HTTP from nodes may reach although they are
# private or loopback; an operator's decision, off by default.
BATON_HTTP_ALLOW = env_list("BATON_HTTP_ALLOW", [])

# Every run records its nodes' outbound exchanges (fingerprint → response, secrets redacted)
# so later runs can replay them (runs.recordings). Off: nothing is recorded (replay still
# answers from what was). An exchange over BATON_RECORDING_MAX_BYTES, or past
# BATON_RECORDING_MAX_RUN_BYTES for its run, is kept as truncated: it cannot be replayed.
BATON_RECORDING = env_bool("BATON_RECORDING", True)
BATON_RECORDING_MAX_BYTES = env_int("BATON_RECORDING_MAX_BYTES", 1024 * 1024, minimum=0)
BATON_RECORDING_MAX_RUN_BYTES = env_int("BATON_RECORDING_MAX_RUN_BYTES", 32 * 1024 * 1024, minimum=0)
# At most this many runs as the source of one replay.
BATON_REPLAY_MAX_RUNS = env_int("BATON_REPLAY_MAX_RUNS", 10, minimum=1)

# --- AI nodes ---------------------------------------------------------------------------------
# A model stream that sends nothing for this long fails the attempt.
BATON_LLM_IDLE_TIMEOUT = env_float("BATON_LLM_IDLE_TIMEOUT", 60.0)
# Retries inside one model call on 429 and 5xx (on top of the node's own retries), and the
# longest wait (Retry-After or backoff) one of them may take.
BATON_LLM_RETRIES = env_int("BATON_LLM_RETRIES", 3, minimum=0)
BATON_LLM_RETRY_MAX_WAIT = env_float("BATON_LLM_RETRY_MAX_WAIT", 60.0)
BATON_LLM_RETRY_BASE = env_float("BATON_LLM_RETRY_BASE", 1.0)
# USD per million tokens, [input, output], by model name; the longest matching prefix wins,
# so "gpt-4o-mini" covers "gpt-4o-mini-2024-07-18". BATON_MODEL_PRICES (JSON) adds to or
# overrides these. Models not listed (local ones) cost nothing.
BATON_MODEL_PRICES: dict[str, list[float]] = {
    "gpt-4o-mini": [0.15, 0.60],
    "gpt-4o": [2.50, 10.00],
    "gpt-4.1-nano": [0.10, 0.40],
    "gpt-4.1-mini": [0.40, 1.60],
    "gpt-4.1": [2.00, 8.00],
    "gpt-5-nano": [0.05, 0.40],
    "gpt-5-mini": [0.25, 2.00],
    "gpt-5": [1.25, 10.00],
    "o3-mini": [1.10, 4.40],
    "o4-mini": [1.10, 4.40],
    "o3": [2.00, 8.00],
    "text-embedding-3-small": [0.02, 0.0],
    "text-embedding-3-large": [0.13, 0.0],
    "claude-3-haiku": [0.25, 1.25],
    "claude-3-5-haiku": [0.80, 4.00],
    "claude-haiku-4": [1.00, 5.00],
    "claude-3-5-sonnet": [3.00, 15.00],
    "claude-3-7-sonnet": [3.00, 15.00],
    "claude-sonnet-4": [3.00, 15.00],
    "claude-opus-4": [15.00, 75.00],
}
BATON_MODEL_PRICES.update(env_json("BATON_MODEL_PRICES", {}))
for _model, _price in BATON_MODEL_PRICES.items():
    if not (
        isinstance(_price, list) and len(_price) == 2
        and all(isinstance(p, (int, float)) and p >= 0 for p in _price)
    ):
        raise ImproperlyConfigured(
            f"BATON_MODEL_PRICES[{_model!r}] must be [input, output] USD per million tokens"
        )
# Code nodes run Python in a limited child process of the worker. Off unless an operator
# turns it on (`make run` does, on the laptop of the person running it).
BATON_ALLOW_CODE = env_bool("BATON_ALLOW_CODE", False)
# Code runs under bubblewrap (namespaces); where that is impossible code nodes are refused,
# unless this opt-out lets them run with only rlimits and an audit hook (not a boundary).
BATON_CODE_UNSAFE_NO_ISOLATION = env_bool("BATON_CODE_UNSAFE_NO_ISOLATION", False)
BATON_CODE_TIMEOUT_MAX = env_float("BATON_CODE_TIMEOUT_MAX", 120.0)
BATON_CODE_MEMORY_MB = env_int("BATON_CODE_MEMORY_MB", 512, minimum=64)
# Sub-flows may start sub-flows, down to this depth (a flow calling itself stops here).
BATON_MAX_CHILD_DEPTH = env_int("BATON_MAX_CHILD_DEPTH", 5, minimum=1)
# Child runs one top-level run may make in all, at every depth (a map of a map of a map...).
BATON_MAX_CHILD_RUNS = env_int("BATON_MAX_CHILD_RUNS", 1000, minimum=1)
# Uploaded documents are read by a worker, in a child process with these limits.
BATON_DOCUMENT_MAX_PAGES = env_int("BATON_DOCUMENT_MAX_PAGES", 1000, minimum=1)
BATON_DOCUMENT_READ_SECONDS = env_float("BATON_DOCUMENT_READ_SECONDS", 60.0)
BATON_DOCUMENT_READ_MEMORY_MB = env_int("BATON_DOCUMENT_READ_MEMORY_MB", 1024, minimum=128)
# --- The run API ------------------------------------------------------------------------------
# Requests a single API key may make, as "<number>/<second|minute|hour|day>"; over it, 429
# with Retry-After. Requests from the editor (a signed-in session) are not limited.
BATON_API_KEY_RATE = env_rate("BATON_API_KEY_RATE", "600/minute")
# The same limit for each trigger URL (POST /hooks/<token>/).
BATON_TRIGGER_RATE = env_rate("BATON_TRIGGER_RATE", "120/minute")
# Requests to trigger URLs that match no trigger, per client address.
BATON_TRIGGER_JUNK_RATE = env_rate("BATON_TRIGGER_JUNK_RATE", "60/minute")
# Run callbacks: attempts in all, the first retry's delay (doubling after each failure, at
# most an hour), and how long one attempt may take.
BATON_CALLBACK_MAX_ATTEMPTS = env_int("BATON_CALLBACK_MAX_ATTEMPTS", 8, minimum=1)
BATON_CALLBACK_BACKOFF_SECONDS = env_float("BATON_CALLBACK_BACKOFF_SECONDS", 10.0)
BATON_CALLBACK_TIMEOUT_SECONDS = env_float("BATON_CALLBACK_TIMEOUT_SECONDS", 10.0)
# How often Celery beat looks for schedules that are due (cron has minute precision).
BATON_SCHEDULE_TICK_SECONDS = env_float("BATON_SCHEDULE_TICK_SECONDS", 10.0)
CELERY_BEAT_SCHEDULE = {
    "fire-due-schedules": {
        "task": "triggers.fire_due_schedules",
        "schedule": BATON_SCHEDULE_TICK_SECONDS,
        "options": {"expires": BATON_SCHEDULE_TICK_SECONDS * 3},
    },
    "resend-stale-documents": {
        "task": "knowledge.resend_stale_documents",
        "schedule": 60.0,
        "options": {"expires": 120.0},
    },
}
# Server-Sent Events: a comment line this often keeps proxies from closing a quiet stream.
BATON_SSE_KEEPALIVE_SECONDS = env_float("BATON_SSE_KEEPALIVE_SECONDS", 15.0)
# How often an open run websocket checks again that its user (and key) may still watch.
BATON_WS_ACCESS_CHECK_SECONDS = env_float("BATON_WS_ACCESS_CHECK_SECONDS", 15.0)

BATON_DEMO_PASSWORD = env_str("BATON_DEMO_PASSWORD")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("BATON_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # httpx logs every request's URL at INFO; model calls would fill the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
