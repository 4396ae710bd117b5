"""Settings shared by every environment; every deployment-specific value comes from the environment."""

import warnings
from pathlib import Path
from urllib.parse import unquote

import environ

from ultrabackend.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is a convenience for development only; production reads the real environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

# Django 6's default: a URL typed without a scheme is https. Opting in now silences Django 5.2's
# RemovedInDjango60Warning on every command; the setting itself warns that it is transitional
# (it goes with Django 6, when this line goes too).
warnings.filterwarnings("ignore", message="The FORMS_URLFIELD_ASSUME_HTTPS transitional setting is deprecated")
FORMS_URLFIELD_ASSUME_HTTPS = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_api_key",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.discord",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procrastinate.contrib.django",
    "core",
    "users",
    "xp",
    "seasons",
    "layers",
    "apptokens",
    "community",
    "integrations",
    "events",
    "showcase",
    "achievements",
    "claims",
    "quests",
]

MIDDLEWARE = [
    # First: the request id (X-Request-ID) and the request's metrics (ultrabackend/observability/).
    "ultrabackend.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.outage.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.ratelimit.RateLimitHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.text.InvalidTextMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "api.session_auth.AuthenticationMiddleware",  # Django's, with revocation winning over Redis
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The API's hot paths (POST /api/v1/xp/add/ and the seasonal board pages) are served through the
# same chain without what they never use: static files, the admin's messages, allauth's sign-in
# pages (ultrabackend/lean_handler.py, tests/core/test_lean_handler.py).
LEAN_PATHS = ["/api/v1/xp/add/", "/api/v1/seasons/reality/", "/api/v1/seasons/cyber/"]
LEAN_PATH_MIDDLEWARE = [
    m
    for m in MIDDLEWARE
    if m
    not in {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "allauth.account.middleware.AccountMiddleware",
    }
]

ROOT_URLCONF = "ultrabackend.urls"
WSGI_APPLICATION = "ultrabackend.wsgi.application"
AUTH_USER_MODEL = "users.CustomUser"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. Production and CI set DATABASE_URL (Heroku style); local development and tests
# without it use an embedded PostgreSQL (settings/local.py, settings/test.py; see
# ultrabackend/embedded_db.py); production settings refuse to start without it.
DATABASE_URL = env("DATABASE_URL", default="")


def database_settings(config: dict) -> dict:  # type: ignore[type-arg]
    """Connection options every environment shares, on top of a URL's or the embedded server's."""
    config = {**config}
    # A Unix socket directory travels in a URL's host percent-encoded (postgres://u@%2Fpath%2Fto:5432/db):
    # django-environ keeps it encoded; PostgreSQL needs the path.
    if "%" in str(config.get("HOST", "")):
        config["HOST"] = unquote(config["HOST"])
    # Django's PostgreSQL backend, with a health check that needs no round trip (see there).
    config["ENGINE"] = "ultrabackend.postgresql"
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    options = config.setdefault("OPTIONS", {})
    # Server-side binding lets psycopg 3 prepare hot statements (measured: ~30 % less DB CPU).
    options.setdefault("server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True))
    options.setdefault("prepare_threshold", env.int("DB_PREPARE_THRESHOLD", default=2))
    # A hung database must not hold a worker: give up connecting after this many seconds (the
    # request is then a 503 database_unavailable, docs/reliability.md).
    options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3))
    return config


# A request waits at most this many seconds for PostgreSQL to answer a statement on an open
# connection; then the connection is dropped and the request is a 503 database_unavailable
# (ultrabackend/postgresql/bounded_wait.py). 0 turns the bound off.
DATABASE_QUERY_TIMEOUT = env.float("DB_QUERY_TIMEOUT", default=5.0)
# After such a timeout (or a connect timeout) this worker answers requests that need a new
# connection 503 at once for this many seconds, then tries one (ultrabackend/postgresql/breaker.py).
DATABASE_BREAKER_RESET_SECONDS = env.float("DB_BREAKER_RESET_SECONDS", default=2.0)


DATABASES = {"default": database_settings(env.db_url_config(DATABASE_URL))} if DATABASE_URL else {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions, rank index, shared throttling ----------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Redis only ever speeds requests up (docs/reliability.md): every client (cache, sessions,
# throttles, rank index) waits at most these seconds to connect and for an answer, and after a
# failure or timeout a per-process circuit breaker skips Redis for REDIS_BREAKER_RESET_SECONDS
# (answers then come from PostgreSQL).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.05)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.05)
REDIS_BREAKER_RESET_SECONDS = env.float("REDIS_BREAKER_RESET_SECONDS", default=5.0)
REDIS_BREAKER_FAIL_MAX = env.int("REDIS_BREAKER_FAIL_MAX", default=1)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ultrabackend.cache.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="igo"),
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
    # Sessions are read from Redis (no database round trip per request) and written through to
    # the database, so a logout or an admin revoking a session takes effect at once.
    SESSION_ENGINE = "ultrabackend.sessions"
else:
    # No Redis: the cache (throttle counters, used refresh tokens) lives in the database, so
    # every worker process shares it; nothing depends on one process's memory.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "igo_cache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# Origins a sign-in may send the browser back to with ?next= (the frontend is always allowed).
AUTH_ALLOWED_REDIRECT_ORIGINS = env.list("AUTH_ALLOWED_REDIRECT_ORIGINS", default=[FRONTEND_URL])

# Discord OAuth2. Every Discord URL (authorize, token, users/@me) derives from DISCORD_API_URL,
# so tests and staging can point it at a stand-in Discord.
DISCORD_API_URL = env("DISCORD_API_URL", default="https://discord.com/api").rstrip("/")
DISCORD_CLIENT_ID = env("DISCORD_CLIENT_ID", default="")
DISCORD_CLIENT_SECRET = env("DISCORD_CLIENT_SECRET", default="")
# The backend's own callback as registered at Discord; default: built from the request.
DISCORD_REDIRECT_URI = env("DISCORD_REDIRECT_URI", default="")
DISCORD_SCOPES = ["identify", "email"]
DISCORD_TIMEOUT_SECONDS = env.float("DISCORD_TIMEOUT_SECONDS", default=5.0)

# The Discord app inside the backend (docs/discord.md): slash commands over HTTP, announcements,
# Linked Roles. The application id defaults to DISCORD_CLIENT_ID (they are the same number).
DISCORD_PUBLIC_KEY = env("DISCORD_PUBLIC_KEY", default="")  # hex; verifies signed interactions
# A signed interaction whose X-Signature-Timestamp is further from now than this is a replay.
DISCORD_SIGNATURE_MAX_AGE_SECONDS = env.int("DISCORD_SIGNATURE_MAX_AGE_SECONDS", default=300)
DISCORD_BOT_TOKEN = env("DISCORD_BOT_TOKEN", default="")  # discord_sync, channel announcements
DISCORD_APPLICATION_ID = env("DISCORD_APPLICATION_ID", default="")
# Linked Roles: off unless enabled; needs DISCORD_CLIENT_ID/SECRET and FIELD_ENCRYPTION_KEY.
DISCORD_LINKED_ROLES_ENABLED = env.bool("DISCORD_LINKED_ROLES_ENABLED", default=False)
DISCORD_LINKED_ROLES_REDIRECT_URI = env("DISCORD_LINKED_ROLES_REDIRECT_URI", default="")
DISCORD_PLATFORM_NAME = env("DISCORD_PLATFORM_NAME", default="iGoUltra")

# Rank cards and community pages (showcase/, docs/showcase.md). Avatars come only from Discord's
# CDN (a stand-in in tests), with a short timeout and a drawn fallback.
DISCORD_CDN_URL = env("DISCORD_CDN_URL", default="https://cdn.discordapp.com").rstrip("/")
DISCORD_CDN_TIMEOUT_SECONDS = env.float("DISCORD_CDN_TIMEOUT_SECONDS", default=1.0)
# The server-rendered /community/ pages (404 when off; the card endpoint stays).
COMMUNITY_PAGES_ENABLED = env.bool("COMMUNITY_PAGES_ENABLED", default=True)
# The backend's public origin (https://api.igoultra.de): /rank and /profile show the card from it;
# empty: they answer with text embeds only (Discord cannot fetch a card from a private address).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="").rstrip("/")

# allauth: its Discord provider parses the identity and records the linked SocialAccount; our
# own views (api/v1/auth/) run the flows, so allauth's account pages are not mounted.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = DISCORD_TIMEOUT_SECONDS
SOCIALACCOUNT_PROVIDERS = {
    "discord": {
        "SCOPE": DISCORD_SCOPES,
        "APPS": [{"client_id": DISCORD_CLIENT_ID, "secret": DISCORD_CLIENT_SECRET, "key": ""}],
    }
}

# App tokens (mobile): short-lived access JWT, rotating refresh JWT (HS256).
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ACCESS_TTL_SECONDS = env.int("JWT_ACCESS_TTL_SECONDS", default=15 * 60)
JWT_REFRESH_TTL_SECONDS = env.int("JWT_REFRESH_TTL_SECONDS", default=30 * 24 * 3600)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[FRONTEND_URL])
CORS_ALLOW_CREDENTIALS = True
# Headers a browser client may read from answers (the rate-limit quota, the retry hint).
CORS_EXPOSE_HEADERS = ["RateLimit-Policy", "RateLimit", "Retry-After", "X-Request-ID"]
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "idempotency-key",
    "x-request-id",
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[FRONTEND_URL])

# --- I18N / time ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Error texts ("detail") in English or German by Accept-Language; error codes never change.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# A request body larger than this is refused with 413 before it is parsed.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=16 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BODY_BYTES, 2_621_440)

# --- DRF -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header makes "not signed in" a 401 rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.ServiceKeyAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.FastJSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exception_handler.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": [],
    # Proxies in front of the app (Heroku's router: 1), so a client address is not spoofable
    # through X-Forwarded-For for the per-address sign-in limit.
    # 0: the client address is REMOTE_ADDR; a forged X-Forwarded-For cannot pick a fresh
    # counter. Behind Heroku's router set NUM_PROXIES=1.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Shared through the cache (Redis when REDIS_URL is set). See api/throttling.py.
    "DEFAULT_THROTTLE_RATES": {
        "player_write": env("THROTTLE_PLAYER_WRITE", default="120/min"),
        "key_write": env("THROTTLE_KEY_WRITE", default="1200/min"),
        "key_read": env("THROTTLE_KEY_READ", default="1200/min"),
        "auth": env("THROTTLE_AUTH", default="60/min"),
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    # Operation ids and tags from the path after /api/v1 (GET /metrics lives outside the API root).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TITLE": "iGoUltra API",
    "DESCRIPTION": "XP, levels, seasons, leagues and layers for the iGoUltra universe.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Error answers two or more operations share go to components/responses once (api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.shared_error_responses",
    ],
    # api/schema.py: every error of every operation, decimals documented one way.
    "ENUM_NAME_OVERRIDES": {
        "LayerCodeEnum": "api.v1.users.serializers.LAYER_CODES",
        "LeagueEnum": "core.constants.leagues.LEAGUES",
        "ModeEnum": "core.constants.modes.MODE_CHOICES",
        "SeasonStatusEnum": "seasons.models.Season.STATUS_CHOICES",
        "HealthStatusEnum": "api.v1.ops.serializers.HEALTH_STATUSES",
        "ClaimKindEnum": "claims.models.KINDS",
        "ClaimStateEnum": "claims.models.STATES",
        "QuestKindEnum": "core.constants.quests.QUEST_KINDS",
        "QuestStateEnum": "core.constants.quests.QUEST_STATES",
    },
}

# --- Game settings ---------------------------------------------------------------------------
LEADERBOARD_PAGE_SIZE = env.int("LEADERBOARD_PAGE_SIZE", default=50)
# Cohort leagues (docs/domain.md "Leagues"): a league's players of a season and mode compete in
# cohorts of COHORT_SIZE, filled in order of arrival; at close a full cohort moves its top
# COHORT_PROMOTE up and its bottom COHORT_DEMOTE down (a smaller one proportionally).
COHORT_SIZE = env.int("COHORT_SIZE", default=30)
COHORT_PROMOTE = env.int("COHORT_PROMOTE", default=7)
COHORT_DEMOTE = env.int("COHORT_DEMOTE", default=5)
# Players (active) or cohorts closed per committed chunk of a season close.
SEASON_CLOSE_CHUNK = env.int("SEASON_CLOSE_CHUNK", default=20_000)

# One JSON object per log line with the request id of the request or job (LOG_FORMAT=text: plain
# lines for a terminal); ultrabackend/observability/logs.py, docs/operations.md.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(level=env("LOG_LEVEL", default="WARNING"), fmt=LOG_FORMAT)

# --- Operations (docs/operations.md) ----------------------------------------------------------
# GET /metrics (Prometheus) answers only a request with "Authorization: Bearer <METRICS_TOKEN>";
# without the variable the endpoint does not exist (404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# GET /api/v1/health/ready/ answers 503 when the oldest ready job waited longer than this.
READY_MAX_QUEUE_AGE_SECONDS = env.int("READY_MAX_QUEUE_AGE_SECONDS", default=300)
# --- Background jobs (procrastinate: jobs live in PostgreSQL; `manage.py procrastinate worker`) ---
# Tasks are found in every app's tasks.py. A job deferred inside a transaction commits with it.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
# Jobs one worker process runs at once (sync jobs run in threads: webhook requests wait in parallel).
PROCRASTINATE_WORKER_DEFAULTS = {"concurrency": env.int("WORKER_CONCURRENCY", default=4)}
# A job whose worker sent no heartbeat (every 10 s) for this long is put back to the queue by the
# retry_stalled_jobs periodic job (the worker was killed or its machine lost).
JOBS_STALLED_AFTER_SECONDS = env.int("JOBS_STALLED_AFTER_SECONDS", default=60)
# `manage.py run_worker` (events/worker.py) restarts its worker after a database or Redis outage,
# polling PostgreSQL from this many seconds, doubling up to the maximum.
WORKER_RESTART_BACKOFF_SECONDS = env.float("WORKER_RESTART_BACKOFF_SECONDS", default=0.5)
WORKER_RESTART_BACKOFF_MAX_SECONDS = env.float("WORKER_RESTART_BACKOFF_MAX_SECONDS", default=15.0)

# --- Domain events and webhooks (docs/events.md) ----------------------------------------------
# In-process consumers: dotted paths of callables handle(event: DomainEvent) -> None, each run
# from its own job (retried on an exception). Optional attribute event_types: the types wanted.
# The Discord app (announcements, Linked Roles; docs/discord.md) listens by default.
DOMAIN_EVENT_CONSUMERS: list[str] = env.list("DOMAIN_EVENT_CONSUMERS", default=["community.events.handle_event"])
# Development and tests only: let webhooks target private/loopback addresses (SSRF guard off).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
# Seconds to wait for a receiver (connect and each read) before the attempt counts as a timeout.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Backoff: base x 4^(attempt-1) seconds (at most 12 h), retried for WEBHOOK_RETRY_FOR_SECONDS.
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=5.0)
WEBHOOK_RETRY_FOR_SECONDS = env.int("WEBHOOK_RETRY_FOR_SECONDS", default=3 * 24 * 3600)
# The event pump of each worker process (events/pump.py): requests in flight at once, and at most
# this many to one endpoint (a slow receiver fills only its own slots); how often an idle pump
# looks for new events; how many events one fan-out statement takes.
WEBHOOK_CONCURRENCY = env.int("WEBHOOK_CONCURRENCY", default=64)
WEBHOOK_ENDPOINT_CONCURRENCY = env.int("WEBHOOK_ENDPOINT_CONCURRENCY", default=16)
WEBHOOK_POLL_SECONDS = env.float("WEBHOOK_POLL_SECONDS", default=0.05)
WEBHOOK_FANOUT_BATCH = env.int("WEBHOOK_FANOUT_BATCH", default=500)
# A worker that claimed deliveries and died: another one sends them after this many seconds
# (at least twice WEBHOOK_TIMEOUT_SECONDS, so a live worker's slow request is not sent twice).
WEBHOOK_LEASE_SECONDS = env.float("WEBHOOK_LEASE_SECONDS", default=30.0)
# An endpoint whose every delivery failed for this long is disabled (shown in the admin and API).
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=5 * 24 * 3600)

# The Discord pump of each worker process (community/discord_pump.py): announcements and DMs in
# flight at once (one per rate-limit route at a time), requests per second to Discord for all
# workers together (Discord allows a bot 50; the rest is headroom for other calls), backoff of a
# 5xx or timeout (base x 2^(attempt-1), at most 10 minutes) and how long a message is retried.
DISCORD_CONCURRENCY = env.int("DISCORD_CONCURRENCY", default=16)
DISCORD_GLOBAL_RATE = env.int("DISCORD_GLOBAL_RATE", default=40)
DISCORD_RETRY_BASE_SECONDS = env.float("DISCORD_RETRY_BASE_SECONDS", default=2.0)
DISCORD_RETRY_FOR_SECONDS = env.int("DISCORD_RETRY_FOR_SECONDS", default=6 * 3600)
DISCORD_POLL_SECONDS = env.float("DISCORD_POLL_SECONDS", default=0.2)
DISCORD_LEASE_SECONDS = env.float("DISCORD_LEASE_SECONDS", default=30.0)
# Sent and failed Discord messages are deleted this many days after they were made (daily job).
DISCORD_OUTBOX_KEEP_DAYS = env.int("DISCORD_OUTBOX_KEEP_DAYS", default=30)

# Optional error reporting (docs/operations.md "Sentry"): unset, sentry_sdk is never imported.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="")

CSRF_FAILURE_VIEW = "api.errors.csrf_failure"
# Seconds a client is told to wait (Retry-After) when the database is unavailable (503).
DATABASE_RETRY_AFTER_SECONDS = env.int("DATABASE_RETRY_AFTER_SECONDS", default=5)

# --- Strava (docs/strava.md) -------------------------------------------------------------------
# Every Strava URL derives from these two bases, so tests and staging can use a stand-in Strava.
# Claims and peer review (docs/domain.md "Claims"): approvals (and rejections) that decide a claim,
# how old a reviewer's account must be, how many votes a reviewer may cast on one claimant's claims
# in 30 days, after how many hours an undecided claim goes to the moderators.
REVIEW_QUORUM = env.int("REVIEW_QUORUM", default=3)
REVIEWER_MIN_ACCOUNT_DAYS = env.int("REVIEWER_MIN_ACCOUNT_DAYS", default=3)
REVIEW_VOTES_PER_CLAIMANT_PER_MONTH = env.int("REVIEW_VOTES_PER_CLAIMANT_PER_MONTH", default=3)
REVIEW_HANDOVER_HOURS = env.int("REVIEW_HANDOVER_HOURS", default=72)
# The reviewer reward (XP of the community_review activity) for a vote that matched the outcome,
# at most this many rewarded votes per reviewer per UTC day.
REVIEW_REWARD_XP = env.int("REVIEW_REWARD_XP", default=10)
REVIEW_REWARDS_PER_DAY = env.int("REVIEW_REWARDS_PER_DAY", default=10)
# A reviewer with at least this many votes against the outcome in 30 days (and more misses than
# hits) may not vote until this many days after the last miss.
REVIEWER_MISS_LIMIT = env.int("REVIEWER_MISS_LIMIT", default=3)
REVIEWER_SUSPENSION_DAYS = env.int("REVIEWER_SUSPENSION_DAYS", default=7)
# The Discord channel that gets a message with Approve/Reject buttons for every new claim ("": none).
DISCORD_REVIEW_CHANNEL_ID = env("DISCORD_REVIEW_CHANNEL_ID", default="")

STRAVA_API_URL = env("STRAVA_API_URL", default="https://www.strava.com/api/v3").rstrip("/")
STRAVA_OAUTH_URL = env("STRAVA_OAUTH_URL", default="https://www.strava.com/oauth").rstrip("/")
STRAVA_CLIENT_ID = env("STRAVA_CLIENT_ID", default="")
STRAVA_CLIENT_SECRET = env("STRAVA_CLIENT_SECRET", default="")
# The token Strava echoes in its subscription check (GET .../webhook/?hub.verify_token=...).
STRAVA_VERIFY_TOKEN = env("STRAVA_VERIFY_TOKEN", default="")
# The OAuth callback registered at Strava; default: built from the request.
STRAVA_REDIRECT_URI = env("STRAVA_REDIRECT_URI", default="")
# The webhook URL `manage.py strava_subscription create` registers (or pass it as an argument).
STRAVA_WEBHOOK_CALLBACK_URL = env("STRAVA_WEBHOOK_CALLBACK_URL", default="")
# Optional: the push subscription's id (`strava_subscription show`); events naming another are refused.
STRAVA_SUBSCRIPTION_ID = env("STRAVA_SUBSCRIPTION_ID", default="")
STRAVA_TIMEOUT_SECONDS = env.float("STRAVA_TIMEOUT_SECONDS", default=10.0)
# Fernet key(s) for secrets at rest (Strava and Discord tokens; ultrabackend/crypto.py): comma separated,
# the first encrypts, every one decrypts (rotation). Unset: derived from DJANGO_SECRET_KEY
# (development); production refuses to start without it when Linked Roles or Strava are on.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
