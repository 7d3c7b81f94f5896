"""Settings shared by every environment.

Every knob comes from the environment with a safe default. With nothing set the
app runs on the *embedded default*: SQLite, local-memory cache, in-memory channel
layer, Celery tasks run in-process, the offline AI engine and the GHL outbox.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only for the embedded default; production.py refuses to start without a real one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-embedded-default-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links sent to leads: the CMA download, listing pages (/p/<slug>/) in matches and alerts;
# and to staff: ticket links in emails. Unset: `dev.py run` passes the address it serves.
SITE_URL = env("SITE_URL", default="") or "http://127.0.0.1:8000"

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSocket in one process
    "config.apps.BackOfficeAdminConfig",  # django.contrib.admin, with the back office's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files, no CDN
    "channels",
    "django_htmx",  # ships htmx (static/django_htmx/htmx-2.min.js) for the dashboard
    "leads",
    "compliance",
    "buyers",
    "sellers",
    "analytics",
    "django_prometheus",  # /metrics: requests, database and cache series (docs/monitoring.md)
    "axes",  # locks out repeated wrong passwords (docs/security.md)
]

MIDDLEWARE = [
    # Outermost: the whole request is counted and timed for Prometheus, and every log line it
    # writes carries its id (config/logs.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.logs.RequestIdMiddleware",
    # First, so the statements of sessions and auth are timed too (config/performance.py).
    "config.performance.PerformanceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the "login paused" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and in-process tasks share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # IMMEDIATE: a transaction takes the write lock when it begins, so two writers queue on
    # the busy timeout instead of one failing with "database is locked" when it upgrades
    # a read lock (a burst of new leads lost replies that way).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's cost of a random page read: PostgreSQL's default (4) models spinning
    # disks, and with it a substring search of a common word reads the whole message table
    # (63 ms at 100k) instead of its trigram index (17 ms). 1.1 is the usual value for SSD
    # and cloud storage; set 4 on spinning disks. Per connection, not a server setting
    # (a pooler in transaction mode drops startup options: set it on the role there).
    _page_cost = env.float("DATABASE_RANDOM_PAGE_COST", default=1.1)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c random_page_cost={_page_cost}"
    )
    # A server that does not answer (a partition, a frozen host) fails a new connection after
    # this many seconds instead of the kernel's minutes: a webhook then gets its 429 in time.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker, channel layer -----------------------------
REDIS_URL = env("REDIS_URL", default="")
# A Redis that is down or hung must never hold up a webhook's answer or a bot turn: every
# client gives up within these many seconds and its caller falls back (docs/troubleshooting.md,
# "Redis down"): a task that cannot be queued is left to its sweep (config/queueing.py), the
# cache misses and pages read the database, the dashboard resyncs from the database.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
# The cache's client options with Redis (django-redis).
REDIS_CACHE_OPTIONS = {
    "CLIENT_CLASS": "django_redis.client.DefaultClient",
    "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
    "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
    # Redis down: a read is a miss (the caller computes from the database), a write is
    # skipped. Every copy expires (the longest in 15 minutes), so what changed during an
    # outage is never hidden for longer than that.
    "IGNORE_EXCEPTIONS": True,
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": dict(REDIS_CACHE_OPTIONS),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="jorge"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    # A hung Redis: a dashboard push gives up on its own (analytics/services.py).
                    {"address": REDIS_URL, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT}
                ],
                "prefix": env("CHANNEL_PREFIX", default="jorge"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # One SQLite file that every process shares (the server, simulate_inbound, the scheduler),
    # so an event sent by any of them reaches the open dashboards (analytics/channel_layer.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "analytics.channel_layer.SQLiteChannelLayer",
            "CONFIG": {
                "path": env("CHANNEL_LAYER_SQLITE_PATH", default=str(BASE_DIR / "channels.sqlite3"))
            },
        }
    }

# django-prometheus counts every statement and connection (django_db_*) and every cache read
# (django_cache_*) through these drop-in backends; they behave as Django's own otherwise.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
CACHES["default"]["BACKEND"] = {
    "django_redis.cache.RedisCache": "django_prometheus.cache.backends.redis.RedisCache",
    "django.core.cache.backends.locmem.LocMemCache": "config.metrics_cache.LocMemCache",
}[CACHES["default"]["BACKEND"]]

# --- Celery -----------------------------------------------------------------
# Eager mode still opens a producer on the broker (it serialises through it): memory:// serves.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
# No broker configured: run tasks in-process so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged only once it finished, and re-queued if its worker dies;
# tasks are idempotent and count attempts in the database so a poison message dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A Redis blip does not kill the tasks running: a turn killed mid-send leaves a send whose
# outcome is unknown, which the reconciliation settles only after SEND_RECONCILE_GIVE_UP_SECONDS.
# Let it finish; its acknowledgement is lost, so Redis may deliver it again, and the rerun
# finds the turn done (every task is idempotent).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Countdowns and time limits stay far below the visibility timeout (1 h), so Redis
# never redelivers a task that is merely waiting or still running.
# A publish to a broker that is down or does not answer gives up within about two seconds
# (one reconnect, each wait bounded by the socket timeouts) instead of Celery's default of
# retrying for a while; the caller logs it and the sweeps queue the work later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,  # a second try on a fresh connection: Redis restarted since the last one
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_TIME_LIMIT = 120
CELERY_RESULT_EXPIRES = 3600
# No caller reads a task's return value (tasks write what happened to the database), so
# results are not stored: one Redis write less per task. A caller that needs one asks for it.
CELERY_TASK_IGNORE_RESULT = True
# Three queues, so a slow model never holds up what is ready (docs/bots.md, "Queues"):
# ingest stores HighLevel's events, turns run the bot (it waits on Claude), sends send
# messages and run the sweeps. Run a worker per queue (docker-compose.yml, the README).
CELERY_TASK_DEFAULT_QUEUE = "sends"
CELERY_TASK_ROUTES = {
    "leads.tasks.process_webhook_event_task": {"queue": "ingest"},
    "leads.tasks.sweep_stuck_webhook_events_task": {"queue": "ingest"},
    "leads.tasks.run_turn_task": {"queue": "turns"},
    "sellers.tasks.*": {"queue": "turns"},
    "buyers.tasks.*": {"queue": "turns"},  # waits on the financial provider
}
CELERY_BEAT_SCHEDULE: dict = {}

# The lead tallies' journal folded into one row per value (analytics.models.LeadTally).
CELERY_BEAT_SCHEDULE["analytics.compact_lead_tallies"] = {
    "task": "analytics.tasks.compact_lead_tallies_task",
    "schedule": 60.0,
}

# Every process flushes its performance samples (latencies, cache hits, AI tokens) into the
# database this often, and when it exits; 0 = never by itself (config/performance.py).
PERFORMANCE_FLUSH_SECONDS = env.float("PERFORMANCE_FLUSH_SECONDS", default=10.0)

# --- Auth, i18n, static -----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Content-Security-Policy (django-csp; docs/security.md) -----------------------
# Every page loads code only from this site: no CDN, no inline script except the API docs'
# start-up scripts, which carry the per-request nonce. Styles may be inline: Plotly and Redoc
# write theirs at run time, and the dashboard sizes bars with style attributes; an injected
# style cannot run code. Redoc searches in a web worker it makes from a blob; the favicon and
# Swagger UI's icons are data: URLs. No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],  # fetch, htmx and the dashboard's WebSocket (same host and port)
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Login protection (django-axes; docs/security.md) ---------------------------
# Every login (the back office's, which the dashboard and the API docs send people to, and so
# the API tokens issued there) counts wrong passwords per account and per client address;
# at the limit that account, or that address, is refused for the cool-off, even with the
# right password. Counted in the database: one count for every process, on SQLite as on
# PostgreSQL (the local-memory cache of the embedded default is per process).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
# Every failed login stays listed in the back office (Access failure logs; the latest 1,000
# per account): which accounts were tried, from where, and whether the try was locked out.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # config/axes_admin.py registers them on the back office's base class

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# The business's own time zone: every time the back office, emails and PDFs show is local to
# it (Jorge is in California). Stored times stay UTC (USE_TZ); this is only how they read.
BUSINESS_TIMEZONE = env("BUSINESS_TIMEZONE", default="America/Los_Angeles")
TIME_ZONE = BUSINESS_TIMEZONE
# Leads whose zone we cannot tell get the business's zone (Jorge works the Inland Empire).
DEFAULT_TIMEZONE = env("DEFAULT_TIMEZONE", default=BUSINESS_TIMEZONE)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js from the plotly package, as vendor/plotly/plotly.min.js (no CDN).
    "analytics.staticfiles.PlotlyFinder",
]

# Webhook bodies are capped at 1 MB; larger ones get 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- DRF --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a request with no credentials gets 401 with its WWW-Authenticate header.
        "leads.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # DRF's own default is AllowAny; every endpoint must opt out explicitly.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, bounded: a deeply nested body or NaN is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.NewestFirstCursorPagination",
    # Counted in the default cache: shared by every process with REDIS_URL, per process on the
    # embedded default (local memory). Per user when signed in, per address otherwise.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_USER_RATE", default="600/min"),
        "anon": env("API_ANON_RATE", default="60/min"),
        # Each analysis may cost a Claude request: a tighter ceiling keeps a loop cheap.
        "analyze": env("API_ANALYZE_RATE", default="120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jorge's real-estate AI platform",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,  # the schema's own URL is not an endpoint of the API
    # The docs pages load their JavaScript and CSS from our own static files (no CDN): they
    # work offline and behind a firewall.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": (
        "Jorge's leads, conversations, homes, deals, tickets and figures, and the actions staff "
        "take on them. Auth, pagination, errors and rate limits: docs/api.md."
    ),
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices shared by several resources.
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "leads.models.Conversation.Status",
        "ConversationStageEnum": "leads.models.Conversation.Stage",
        "MessageStatusEnum": "leads.models.Message.Status",
        "TicketStatusEnum": "compliance.models.TicketStatus",
        "PropertyStatusEnum": "sellers.models.Property.Status",
        "DealStageEnum": "leads.models.Deal.Stage",
        "LanguageEnum": "leads.models.Language",
        "IntentEnum": "leads.models.Intent",
        "TimelineEnum": "leads.models.Timeline",
        "TemperatureEnum": "leads.models.Temperature",
    },
    # Every operation lists the errors it can answer with (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_responses",
    ],
}

# --- Outside services -------------------------------------------------------
# Claude (leads/intelligence/claude.py; docs/ai.md). No key: the offline engine answers.
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
# Where the SDK sends its requests; empty = Anthropic's API. The load harness points it at a
# fake Claude on 127.0.0.1 (benchmarks/fake_claude.py); a proxy or gateway would go here too.
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL", default="")
# The SDK's default is 600 s; (1 + retries) x timeout + backoff must stay far below
# CELERY_TASK_SOFT_TIME_LIMIT (90 s), and an SMS reply should not wait long anyway.
ANTHROPIC_TIMEOUT = env.float("ANTHROPIC_TIMEOUT", default=20.0)
ANTHROPIC_MAX_RETRIES = env.int("ANTHROPIC_MAX_RETRIES", default=1)
ANTHROPIC_MODEL_FAST = env("ANTHROPIC_MODEL_FAST", default="claude-haiku-4-5")  # extraction
# Not claude-sonnet-4-5: the SDK lists it as retired on 2026-11-30.
ANTHROPIC_MODEL_REPLY = env("ANTHROPIC_MODEL_REPLY", default="claude-sonnet-4-6")  # replies
# USD per million tokens: input, output, cache read, cache write (5-minute TTL = 1.25x input).
# From Anthropic's public price list (platform.claude.com/docs/en/about-claude/pricing);
# matched by model-name prefix, so dated ids ("claude-haiku-4-5-20251001") are priced too.
# An unlisted model costs 0.0 and logs a warning: add it here when switching models.
ANTHROPIC_PRICES_PER_MTOK = {
    "claude-haiku-4-5": {"input": 1.00, "output": 5.00, "cache_read": 0.10, "cache_write": 1.25},
    "claude-sonnet-4-5": {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75},
    "claude-sonnet-4-6": {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75},
    "claude-opus-4-5": {"input": 5.00, "output": 25.00, "cache_read": 0.50, "cache_write": 6.25},
}
# AI cost controls, off by default (docs/feature-flags.md).
# Replies carry only the playbook skills their turn needs, not the whole playbook.
ENABLE_PROGRESSIVE_SKILLS = env.bool("ENABLE_PROGRESSIVE_SKILLS", default=False)
# Each AI task routed to a model by a policy, with health, circuit breakers and fallback
# to the next model, then to the offline engine (leads/intelligence/mesh.py).
ENABLE_AGENT_MESH = env.bool("ENABLE_AGENT_MESH", default=False)
# policy "cost": cheapest first; "latency": listed order, a model slower than the budget last.
AGENT_MESH_ROUTES = {
    "extraction": {
        "policy": "cost",
        "models": env.list(
            "AGENT_MESH_EXTRACTION_MODELS", default=[ANTHROPIC_MODEL_FAST, ANTHROPIC_MODEL_REPLY]
        ),
    },
    "reply": {
        "policy": "latency",
        "models": env.list(
            "AGENT_MESH_REPLY_MODELS", default=[ANTHROPIC_MODEL_REPLY, ANTHROPIC_MODEL_FAST]
        ),
    },
    # A hand-over summary for the person taking a conversation over (leads/services/summaries.py).
    "summary": {
        "policy": "cost",
        "models": env.list(
            "AGENT_MESH_SUMMARY_MODELS", default=[ANTHROPIC_MODEL_FAST, ANTHROPIC_MODEL_REPLY]
        ),
    },
    # The second opinion on a bot reply that touches a sensitive topic (docs/compliance.md).
    "compliance": {
        "policy": "cost",
        "models": env.list(
            "AGENT_MESH_COMPLIANCE_MODELS", default=[ANTHROPIC_MODEL_FAST, ANTHROPIC_MODEL_REPLY]
        ),
    },
}
AGENT_MESH_LATENCY_BUDGET_MS = env.float("AGENT_MESH_LATENCY_BUDGET_MS", default=8000.0)
AGENT_MESH_BREAKER_FAILURES = env.int("AGENT_MESH_BREAKER_FAILURES", default=3)
AGENT_MESH_BREAKER_COOLDOWN_SECONDS = env.int("AGENT_MESH_BREAKER_COOLDOWN_SECONDS", default=60)
# Hosts a bot reply may link to (exact host or its subdomains); none by default.
BOT_ALLOWED_LINK_HOSTS = env.list("BOT_ALLOWED_LINK_HOSTS", default=[])

GHL_API_BASE_URL = env("GHL_API_BASE_URL", default="https://services.leadconnectorhq.com")
GHL_API_TOKEN = env("GHL_API_TOKEN", default="")
GHL_LOCATION_ID = env("GHL_LOCATION_ID", default="demo-location")
GHL_API_TIMEOUT = env.float("GHL_API_TIMEOUT", default=10.0)
# HighLevel allows 100 requests per 10 s and 200,000 a day per location; we stay under
# both with margin. The limiter is shared through Redis when REDIS_URL is set.
GHL_RATE_LIMIT_PER_10S = env.int("GHL_RATE_LIMIT_PER_10S", default=90)
GHL_RATE_LIMIT_BURST = env.int("GHL_RATE_LIMIT_BURST", default=10)
GHL_RATE_LIMIT_PER_DAY = env.int("GHL_RATE_LIMIT_PER_DAY", default=190_000)
GHL_RATE_LIMIT_MAX_WAIT = env.float("GHL_RATE_LIMIT_MAX_WAIT", default=30.0)
# Hot sellers get an opportunity in this HighLevel pipeline (and stage); "" = skipped, audited.
GHL_SELLER_PIPELINE_ID = env("GHL_SELLER_PIPELINE_ID", default="")
GHL_SELLER_PIPELINE_STAGE_ID = env("GHL_SELLER_PIPELINE_STAGE_ID", default="")
# Jorge's HighLevel calendar: with a token, free slots come from it and the bot books calls in
# it. "" (or no token) = the local calendar below (docs/bots.md, "Booking").
GHL_CALENDAR_ID = env("GHL_CALENDAR_ID", default="")
# False: HighLevel's own appointment automations (its confirmations) do not run for the bot's
# bookings, since the bot confirms in the lead's language itself.
GHL_APPOINTMENT_NOTIFY = env.bool("GHL_APPOINTMENT_NOTIFY", default=False)

# --- Booking calls with Jorge (leads/services/booking.py) ----------------------
# The local calendar (no HighLevel calendar): free = these working hours, in Jorge's zone, on
# these days, cut into slots, minus the appointments already booked.
BOOKING_TIMEZONE = env("BOOKING_TIMEZONE", default=DEFAULT_TIMEZONE)
BOOKING_WORKING_DAYS = env.list("BOOKING_WORKING_DAYS", default=["mon", "tue", "wed", "thu", "fri"])
BOOKING_WORKING_HOURS = env("BOOKING_WORKING_HOURS", default="09:00-17:00")
BOOKING_SLOT_MINUTES = env.int("BOOKING_SLOT_MINUTES", default=30)
# Both calendars: no slot sooner than this after the lead reads the offer, none further out
# than this many days (HighLevel answers at most 31 days of free slots).
BOOKING_MIN_LEAD_MINUTES = env.int("BOOKING_MIN_LEAD_MINUTES", default=120)
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=7)

# --- Financial readiness (buyers) ---------------------------------------------
# An HTTP service that assesses a buyer's financial readiness; "" = none: the assessment
# comes from what the buyer said (buyers/services/financial.py). The token is sent as a
# bearer token when set; the timeout is per try (at most 3 tries).
FINANCIAL_ASSESSMENT_URL = env("FINANCIAL_ASSESSMENT_URL", default="")
FINANCIAL_ASSESSMENT_TOKEN = env("FINANCIAL_ASSESSMENT_TOKEN", default="")
FINANCIAL_ASSESSMENT_TIMEOUT = env.float("FINANCIAL_ASSESSMENT_TIMEOUT", default=5.0)

# --- Email -----------------------------------------------------------------
# One URL: smtp+tls://user:password@host:587 (or consolemail://, the embedded default,
# which prints every email to the console).
vars().update(environ.Env.email_url_config(env("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Jorge's team <noreply@localhost>")

# --- Compliance -------------------------------------------------------------
# Who is emailed when a compliance ticket opens; empty = nobody (logged and audited; the
# tickets still wait in the admin).
COMPLIANCE_OFFICER_EMAIL = env("COMPLIANCE_OFFICER_EMAIL", default="")

# --- Demo ------------------------------------------------------------------
# Password of the demo login that ``seed_demo`` creates (embedded default only).
DEMO_PASSWORD = env("DEMO_PASSWORD", default="jorge-demo-2026")

# --- HighLevel webhooks (inbound) -------------------------------------------
# PEM public keys; several blocks (or a list) are all trusted while HighLevel rotates.
# Empty = HighLevel's published keys (leads/webhooks/ghl/signatures.py).
GHL_WEBHOOK_ED25519_PUBLIC_KEY = env("GHL_WEBHOOK_ED25519_PUBLIC_KEY", default="")
GHL_WEBHOOK_RSA_PUBLIC_KEY = env("GHL_WEBHOOK_RSA_PUBLIC_KEY", default="")
# Workflow "custom webhook" actions send it in X-Webhook-Secret; unset = all refused.
GHL_WORKFLOW_WEBHOOK_SECRET = env("GHL_WORKFLOW_WEBHOOK_SECRET", default="")
# Replays are stopped by the unique webhookId; the clock window only has to cover
# HighLevel's redelivery span (~70 min) on the past side.
GHL_WEBHOOK_MAX_FUTURE_SKEW_SECONDS = env.int("GHL_WEBHOOK_MAX_FUTURE_SKEW_SECONDS", default=300)
GHL_WEBHOOK_MAX_AGE_SECONDS = env.int("GHL_WEBHOOK_MAX_AGE_SECONDS", default=2 * 3600)
GHL_WEBHOOK_MAX_ATTEMPTS = env.int("GHL_WEBHOOK_MAX_ATTEMPTS", default=5)
# The HighLevel locations whose events are applied (comma-separated); empty = GHL_LOCATION_ID
# alone. An authentic event of any other location is kept as ignored, never applied.
GHL_WEBHOOK_LOCATION_IDS = env.list("GHL_WEBHOOK_LOCATION_IDS", default=[])
# Unauthentic deliveries recorded per client address (WEBCHAT_TRUSTED_PROXIES says which
# address is the client's) per window; past the limit they are answered 429 with Retry-After
# and not recorded, so a flood cannot fill the disk.
GHL_WEBHOOK_REJECTION_LIMIT = env.int("GHL_WEBHOOK_REJECTION_LIMIT", default=30)
GHL_WEBHOOK_REJECTION_WINDOW_SECONDS = env.int("GHL_WEBHOOK_REJECTION_WINDOW_SECONDS", default=600)
GHL_WEBHOOK_RETRY_BACKOFF = 15  # seconds, doubled per retry...
GHL_WEBHOOK_RETRY_BACKOFF_MAX = 600  # ...and capped far below the visibility timeout
GHL_WEBHOOK_SWEEP_AFTER_SECONDS = 120
# Longer than the processing task's time limit (45 s): a row "processing" this long lost its worker.
GHL_WEBHOOK_STUCK_PROCESSING_SECONDS = 60
CELERY_BEAT_SCHEDULE["leads.sweep_stuck_webhook_events"] = {
    "task": "leads.tasks.sweep_stuck_webhook_events_task",
    "schedule": 60.0,
}

# --- Bot behaviour ----------------------------------------------------------
BOT_HUMAN_TAKEOVER_HOURS = env.int("BOT_HUMAN_TAKEOVER_HOURS", default=24)
# A bot turn's claim older than this lost its worker (longer than CELERY_TASK_TIME_LIMIT);
# a message whose task never ran is swept after BOT_TURN_OVERDUE_SECONDS; one older than
# BOT_TURN_SWEEP_WINDOW_HOURS is left to the people the five-minute rule alerted.
BOT_TURN_STALE_SECONDS = 150
BOT_TURN_OVERDUE_SECONDS = 60
BOT_TURN_SWEEP_WINDOW_HOURS = 6
# Periodic bot work; every task is idempotent, so a late or doubled run is harmless.
CELERY_BEAT_SCHEDULE |= {
    "leads.sweep_overdue_turns": {"task": "leads.tasks.sweep_overdue_turns_task", "schedule": 60.0},
    "leads.send_due_messages": {"task": "leads.tasks.send_due_messages_task", "schedule": 60.0},
    "leads.escalate_unanswered_messages": {
        "task": "leads.tasks.escalate_unanswered_messages_task",
        "schedule": 60.0,
    },
    "leads.send_due_followups": {"task": "leads.tasks.send_due_followups_task", "schedule": 300.0},
}

# --- Sends with an unknown outcome (leads/services/reconciliation.py) --------------------
# A send that timed out or got a 5xx after it left may have texted the lead: it is never
# resent blindly. This long after (HighLevel's echo webhook usually settles it first), the
# conversation is read back from HighLevel: found = sent; still not there after the give-up
# time = sent again once if still worth it (at most SEND_RESEND_MAX_AGE_SECONDS old, nothing
# said since), else handed to a person. A send "pending" longer than SEND_PENDING_STALE_SECONDS
# (the send task's time limit is 120 s) lost its worker mid-request: the same doubt.
SEND_RECONCILE_AFTER_SECONDS = 120
SEND_RECONCILE_GIVE_UP_SECONDS = 15 * 60
SEND_PENDING_STALE_SECONDS = 300
SEND_RESEND_MAX_AGE_SECONDS = 3600
CELERY_BEAT_SCHEDULE["leads.reconcile_unknown_sends"] = {
    "task": "leads.tasks.reconcile_unknown_sends_task",
    "schedule": 120.0,
}

# --- Escalations (leads/services/escalation.py; docs/bots.md, "Escalation") ---------
# Who is told when the bot hands a lead to a person: by email, and by SMS through HighLevel.
# Unset = that channel is skipped (noted on the ticket); the HighLevel task is always created.
ESCALATION_NOTIFY_EMAIL = env("ESCALATION_NOTIFY_EMAIL", default="")
ESCALATION_NOTIFY_PHONE = env("ESCALATION_NOTIFY_PHONE", default="")
# When someone is on call (local hours [start, end) on the days, 0 = Monday). Outside them
# the email and SMS wait for the next start, and a lead waiting for a person is told so once.
ESCALATION_ONCALL_TIMEZONE = env("ESCALATION_ONCALL_TIMEZONE", default=DEFAULT_TIMEZONE)
ESCALATION_ONCALL_START_HOUR = env.int("ESCALATION_ONCALL_START_HOUR", default=8)
ESCALATION_ONCALL_END_HOUR = env.int("ESCALATION_ONCALL_END_HOUR", default=20)
ESCALATION_ONCALL_DAYS = [
    int(day) for day in env.list("ESCALATION_ONCALL_DAYS", default=["0", "1", "2", "3", "4", "5"])
]
CELERY_BEAT_SCHEDULE["leads.notify_due_escalations"] = {
    "task": "leads.tasks.notify_due_escalations_task",
    "schedule": 60.0,
}

# --- Web chat (leads/webchat/; docs/web-chat.md) -----------------------------------
# Sites whose pages may embed the chat widget (scheme://host[:port]); this site always may.
WEBCHAT_ALLOWED_ORIGINS = env.list("WEBCHAT_ALLOWED_ORIGINS", default=[])
# Longest message a visitor may send, in characters (longer: 413).
WEBCHAT_MAX_MESSAGE_CHARS = env.int("WEBCHAT_MAX_MESSAGE_CHARS", default=1000)
# Messages a visitor may send per window, and a network address (all its visitors) per window.
WEBCHAT_VISITOR_LIMIT = env.int("WEBCHAT_VISITOR_LIMIT", default=10)
WEBCHAT_VISITOR_WINDOW_SECONDS = env.int("WEBCHAT_VISITOR_WINDOW_SECONDS", default=60)
WEBCHAT_IP_LIMIT = env.int("WEBCHAT_IP_LIMIT", default=30)
WEBCHAT_IP_WINDOW_SECONDS = env.int("WEBCHAT_IP_WINDOW_SECONDS", default=600)
# Polls of the answers per visitor per minute (the widget polls every 2 s while open).
WEBCHAT_POLL_LIMIT_PER_MINUTE = env.int("WEBCHAT_POLL_LIMIT_PER_MINUTE", default=120)
# How long a visitor's token keeps their conversation, in days.
WEBCHAT_VISITOR_DAYS = env.int("WEBCHAT_VISITOR_DAYS", default=30)
# Proxies in front of the app that append to X-Forwarded-For (0: the peer address is the visitor's).
WEBCHAT_TRUSTED_PROXIES = env.int("WEBCHAT_TRUSTED_PROXIES", default=0)

# --- Monitoring (docs/monitoring.md) --------------------------------------------
# Who may read /metrics: with a token, only requests carrying "Authorization: Bearer <token>";
# with networks (comma-separated CIDRs), only requests from them; with both, both must hold.
# With neither, /metrics answers 404, except to this machine when DEBUG is on (dev.py run).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    str(ip_network(network.strip(), strict=False))  # a typo stops the process at start-up
    for network in env.list("METRICS_ALLOWED_NETWORKS", default=[])
    if network.strip()
]

# --- MCP server (analytics/mcp/; docs/feature-flags.md, "ENABLE_MCP_SERVER") -------------
# Read-only tools for Jorge's own AI assistant at /mcp/ (the ASGI process) and through
# `manage.py mcp_server` (stdio); both need an API token of Jorge or his staff. Off by default.
ENABLE_MCP_SERVER = env.bool("ENABLE_MCP_SERVER", default=False)

# --- Logging ----------------------------------------------------------------
# text: one readable line per event (the embedded default); json: one JSON object per line
# (production's default). Both carry the request, webhook event, conversation and Celery
# task ids and are redacted by the compliance redactor (config/logs.py).
LOG_FORMAT = env("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "text": {
            "()": "config.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "config.logs.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["log_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools log every font subset at INFO: one CMA PDF, dozens of lines.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
