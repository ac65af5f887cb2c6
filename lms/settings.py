"""Settings for every environment, driven by the environment (see lms/env.py).

DJANGO_ENV selects the profile: "development" (default), "test" or "production".
Embedded defaults: SQLite, in-memory channel layer, local-memory cache; background tasks wait in the
database for `manage.py db_worker` (TASKS_BACKEND; `make run` starts one, tests run tasks at once).
DATABASE_URL switches to PostgreSQL; REDIS_URL to the Redis channel layer and cache.
"""

import json
from base64 import b64encode
from datetime import timedelta
from hashlib import sha256
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from lms.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, got {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if PRODUCTION:
    missing = [
        name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses to start without "
            + " and ".join(missing)
            + ": set them in the environment (see deploy/env.example)."
        )
else:
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-used-in-production-0123456789abcdef"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

DEBUG = env_bool("DEBUG", DJANGO_ENV == "development")

INSTALLED_APPS = [
    "daphne",
    "lms",
    "courses",
    "lms.people",
    "lms.scheduling",
    "lms.attendance",
    "lms.evaluation",
    "lms.classroom",
    "lms.accounts",
    "lms.dashboard",
    "lms.exports",
    "lms.files",  # who may see which document and image (collections, media gate)
    "lms.vod",  # videos on demand: uploads and recordings, transcoded to HLS by the worker
    "lms.learning",  # on-demand learning: watched seconds, credit, make-up, lessons
    "lms.quizzes",  # question bank, papers, attempts, marking, statistics
    "lms.notifications",  # reminders in the app, by e-mail and SMS
    "lms.stats",  # dashboards, drill-down, the annual report
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "channels",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "polymorphic",
    "axes",  # login throttling (lms/accounts/throttle.py)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.middleware.ChineseFirstLocaleMiddleware",
    "lms.middleware.HostileInputMiddleware",  # 400 for NUL bytes and out-of-range values
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked login into its 429 page or JSON
]

if PRODUCTION:
    # uvicorn serves collected static files itself when nginx does not (see deploy/).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Content-Security-Policy and Permissions-Policy headers (production, or SECURITY_HEADERS=1); the admin
# and the live room get their exceptions from lms.middleware.SecurityHeaderExceptionsMiddleware.
SECURITY_HEADERS = env_bool("SECURITY_HEADERS", PRODUCTION)
if SECURITY_HEADERS:
    MIDDLEWARE[1:1] = [
        "csp.middleware.CSPMiddleware",
        "django_permissions_policy.PermissionsPolicyMiddleware",
        "lms.middleware.SecurityHeaderExceptionsMiddleware",
    ]

ROOT_URLCONF = "lms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "lms.asgi.application"

# --- Data --------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Under ASGI every request runs its sync code in a thread of its own, so persistent connections
# (CONN_MAX_AGE > 0) pile up until PostgreSQL refuses clients. Use a pool per process instead
# (DB_POOL_SIZE, psycopg's pool through Django) or short-lived connections (the default).
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiler pays off for long analytic queries, not for web pages: it added
        # 0.05–8 s to staff reports whose plans looked costly (issue 13), so it is off for the app.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
        # Prepared statements: psycopg prepares a query the second time a connection runs it, and
        # PostgreSQL then skips parsing and (mostly) planning. Planning cost more than running the
        # member pages' queries (2.3 ms against 0.5 ms for /me/): with this their database CPU per
        # request fell by 60–70 % (issue 13). Needs server-side parameter binding; DB_PREPARE=0 turns
        # both off (for a connection pooler in transaction mode, which cannot keep prepared statements).
        if env_bool("DB_PREPARE", True):
            DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
    if DB_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # The pool checks a connection before lending it (one round trip): after PostgreSQL
        # restarted, pooled connections to the dead server each failed one request with a 500
        # (16 of 100 sign-ins in tests/faults/test_postgres_crash.py) instead of being replaced.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_SIZE,
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "lms.cache.TolerantRedisCache",  # pages go on while Redis is down
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "lms"),
            # A Redis that is down or stuck fails a cache call within a second or two, not never.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 3},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A process's connections share one inbox in Redis; past `capacity` waiting messages the
            # layer drops new ones silently. 100 (the default) lost chat when many spoke at once.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNEL_PREFIX", "lms"),
                "capacity": env_int("CHANNEL_CAPACITY", 5000),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Logins are read from Redis (written through to the database), so a page or a sign-in does not ask
# PostgreSQL for the session first. Not with the in-memory cache: each process would keep its own
# copy, and a logout in one would not reach the others. While Redis is down they are read from the
# database (the cache above treats a failure as a miss).
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if REDIS_URL else 'db'}"
# Member pages keep their costliest parts in Redis until a table they show is written
# (lms/fragments.py); not with the in-memory cache, which the worker's writes would not reach.
FRAGMENT_CACHE = env_bool("FRAGMENT_CACHE", bool(REDIS_URL))

# Background work. TASKS_BACKEND=database (development and production): tasks wait in the database
# (django-tasks-db) for `manage.py db_worker`, which `make run` starts next to the server and deploy/
# runs as a service. TASKS_BACKEND=immediate (the tests' default): a task runs at once, in the caller.
# Queues: "default" (short work: SMS, sweeps) and "exports" (county-size spreadsheets), so a worker
# of its own can keep a long export from delaying a text message.
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate" if DJANGO_ENV == "test" else "database")
TASKS_QUEUES = ["default", "exports", "media"]  # media: transcoding videos (lms.vod), hours long
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASKS_QUEUES}}
elif TASKS_BACKEND == "immediate":
    TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASKS_QUEUES}
    }
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database or immediate, got {TASKS_BACKEND!r}")

# Exports (导出): spreadsheets built by the worker, kept outside MEDIA_ROOT (never served by the web
# server: a view checks the owner) for EXPORTS_KEEP_DAYS; progress is written every EXPORTS_CHUNK_ROWS.
EXPORTS_ROOT = Path(env_str("EXPORTS_ROOT", str(BASE_DIR / "private" / "exports")))
# Videos on demand (lms.vod): originals and their HLS output, outside MEDIA_ROOT, handed out by lms.vod.
VOD_ROOT = Path(env_str("VOD_ROOT", str(BASE_DIR / "private" / "vod")))
VOD_UPLOAD_MAX_MB = env_int("VOD_UPLOAD_MAX_MB", 500)  # larger uploads refused (nginx allows 512m)
VOD_URL_SECONDS = env_int("VOD_URL_SECONDS", 3600)  # a signed playlist URL: this long plus the video
VOD_ACCEL_REDIRECT = env_bool("VOD_ACCEL_REDIRECT", env_bool("FILES_ACCEL_REDIRECT", PRODUCTION))
VOD_ACCEL_REDIRECT_PREFIX = env_str("VOD_ACCEL_REDIRECT_PREFIX", "/protected-vod/")  # nginx internal location
VOD_RENDITION_HEIGHTS = [int(h) for h in env_list("VOD_RENDITION_HEIGHTS", ["360", "720"])]  # never upscaled
VOD_STALE_MINUTES = env_int("VOD_STALE_MINUTES", 30)  # a processing video silent this long lost its worker
EXPORTS_KEEP_DAYS = env_int("EXPORTS_KEEP_DAYS", 7)
EXPORTS_CHUNK_ROWS = env_int("EXPORTS_CHUNK_ROWS", 500)
EXPORTS_STALE_MINUTES = env_int("EXPORTS_STALE_MINUTES", 30)  # a job silent this long has lost its worker

# --- People and login -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "lms.people.tokens.ApiTokensRevokedOnPasswordChange"},  # a new password revokes API tokens
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 5)  # a new token revokes the oldest beyond this
# Login throttling (django-axes, lms/accounts/throttle.py): wrong passwords per account and per client
# address; a lock lasts LOGIN_LOCK_MINUTES after the last failure, or until staff unlock it.
# Axes refuses locked-out sign-ins first (its standalone backend: it loads no user); ProfileBackend
# signs users in and loads each request's user with their member and teacher profiles in one query;
# ModelBackend stays listed so that sessions begun before ProfileBackend keep working.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "lms.people.backends.ProfileBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50)  # a township hall shares one
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCK_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "lms.accounts.throttle.LoginAttemptHandler"
AXES_LOCKOUT_CALLABLE = "lms.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "lms.accounts.views.client_ip"
AXES_RESET_ON_SUCCESS = True  # the account's count only (the address's stays)
AXES_DISABLE_ACCESS_LOG = True  # no table of every successful login's number and address
# Member import page (人员 → 导入党员): larger files or more rows are refused before any work.
PEOPLE_IMPORT_MAX_BYTES = env_int("PEOPLE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
PEOPLE_IMPORT_MAX_ROWS = env_int("PEOPLE_IMPORT_MAX_ROWS", 20_000)

# Member accounts: one-time codes by SMS (activation, reset) and on printed activation slips.
# SMS_BACKEND: lms.accounts.sms.console.SmsBackend (prints), .filebased.SmsBackend (SMS_FILE_PATH),
# .locmem.SmsBackend (tests), or a gateway implementing lms.accounts.sms.base.BaseSmsBackend.
SMS_BACKEND = env_str("SMS_BACKEND", "lms.accounts.sms.console.SmsBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH")
ACCOUNTS_CODE_MINUTES = env_int("ACCOUNTS_CODE_MINUTES", 10)  # an SMS code is valid this long
ACCOUNTS_SLIP_DAYS = env_int("ACCOUNTS_SLIP_DAYS", 14)  # a printed slip's code is valid this long
ACCOUNTS_CODE_MAX_ATTEMPTS = env_int("ACCOUNTS_CODE_MAX_ATTEMPTS", 5)  # wrong tries before a code locks
ACCOUNTS_CODES_PER_PHONE_HOUR = env_int("ACCOUNTS_CODES_PER_PHONE_HOUR", 5)  # code requests per number
ACCOUNTS_CODES_PER_IP_HOUR = env_int("ACCOUNTS_CODES_PER_IP_HOUR", 20)  # code requests per client address
ACCOUNTS_TRIES_PER_IP_HOUR = env_int("ACCOUNTS_TRIES_PER_IP_HOUR", 30)  # code entries per client address

# Reminders (lms.notifications): no e-mail or SMS in the quiet hours (Beijing time; due then: sent at
# their end); a failed delivery is retried this many times, waiting NOTIFICATIONS_RETRY_MINUTES, doubling.
NOTIFICATIONS_QUIET_HOURS = env_str("NOTIFICATIONS_QUIET_HOURS", "21:00-08:00")
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5)
NOTIFICATIONS_RETRY_MINUTES = env_int("NOTIFICATIONS_RETRY_MINUTES", 10)
# Minutes after which a delivery still "sending" (its worker died) is returned to be sent again.
NOTIFICATIONS_CLAIM_TIMEOUT = env_int("NOTIFICATIONS_CLAIM_TIMEOUT", 10)

# --- Attendance -----------------------------------------------------------------------------------
ATTENDANCE_QR_SECONDS = env_int("ATTENDANCE_QR_SECONDS", 20)  # the venue's QR code changes this often
ATTENDANCE_OPENS_MINUTES = env_int("ATTENDANCE_OPENS_MINUTES", 30)  # sign-in opens this long before
ATTENDANCE_LATE_AFTER_MINUTES = env_int("ATTENDANCE_LATE_AFTER_MINUTES", 10)  # grace after the start
ATTENDANCE_HOURS_PER_DAY = env_int("ATTENDANCE_HOURS_PER_DAY", 6)  # a "day" of training in the rules

# --- Live classroom -------------------------------------------------------------------------------
CLASSROOM_OPENS_MINUTES = env_int("CLASSROOM_OPENS_MINUTES", 15)  # the room opens this long before
CLASSROOM_PRESENT_SHARE = env_int("CLASSROOM_PRESENT_SHARE", 80)  # % of the session online = present
# Browser-to-browser video: the teacher's browser uploads one stream per viewer, so rooms beyond
# this many viewers need the media server (Janus).
CLASSROOM_SWEEP_GRACE_MINUTES = env_int("CLASSROOM_SWEEP_GRACE_MINUTES", 60)  # rooms nobody ended
CLASSROOM_MESH_VIEWERS = env_int("CLASSROOM_MESH_VIEWERS", 8)
# NAT traversal: STUN URLs (e.g. stun:turn.example.org:3478) and a TURN server (coturn) with the
# shared secret of its `use-auth-secret` mode; browsers get short-lived TURN credentials.
CLASSROOM_STUN_URLS = env_list("CLASSROOM_STUN_URLS")
CLASSROOM_TURN_URLS = env_list("CLASSROOM_TURN_URLS")
CLASSROOM_TURN_SECRET = env_str("CLASSROOM_TURN_SECRET")
CLASSROOM_TURN_TTL_HOURS = env_int("CLASSROOM_TURN_TTL_HOURS", 12)
# Janus media server (lms/classroom/janus.py). Unset JANUS_URL: video goes browser to browser (mesh,
# the embedded default of `make run`). Set: every live room's video goes through Janus's VideoRoom.
# JANUS_URL is Janus's HTTP API as Django reaches it (http://127.0.0.1:8088/janus), JANUS_PUBLIC_URL as
# browsers reach it (wss://lms.example.org/janus/ through nginx; default JANUS_URL). The three secrets
# are Janus's own settings: `api_secret` (janus.jcfg, Django's calls), `token_auth_secret` (janus.jcfg
# with token_auth = true: participants' signed tokens) and VideoRoom's `admin_key` (only Django creates
# rooms). JANUS_INSTANCES (the township cascade, lms/classroom/cascade.py): JSON {"name": {"url": ...,
# "public_url": ..., "api_secret"/"token_secret"/"admin_key": ... (default: the JANUS_* above),
# "townships": [school page ids or slugs it serves], "rtp_host": where the city's Janus sends RTP}}.
JANUS_URL = env_str("JANUS_URL")
JANUS_PUBLIC_URL = env_str("JANUS_PUBLIC_URL")
JANUS_API_SECRET = env_str("JANUS_API_SECRET")
JANUS_TOKEN_SECRET = env_str("JANUS_TOKEN_SECRET")
JANUS_ADMIN_KEY = env_str("JANUS_ADMIN_KEY")
JANUS_INSTANCES = env_str("JANUS_INSTANCES")
# Janus records every room into JANUS_RECORDINGS_DIR/<room id>/ (a folder Janus can write and the
# media worker can read); lms.vod turns the recording into a video on demand after the class.
JANUS_RECORDINGS_DIR = Path(env_str("JANUS_RECORDINGS_DIR", str(BASE_DIR / "private" / "janus-recordings")))
# A participant's token opens Janus sessions until its session ends (and the sweep's grace), and at least
# this long. (Janus checks it on every request, keepalives too: it must last the whole class.)
JANUS_TOKEN_MINUTES = env_int("JANUS_TOKEN_MINUTES", 30)
JANUS_BITRATE = env_int("JANUS_BITRATE", 1_000_000)  # a room's publisher sends at most this many bit/s
JANUS_TIMEOUT_SECONDS = env_int("JANUS_TIMEOUT_SECONDS", 5)  # Django's calls to Janus give up after this
# Live HLS for phones (lms/classroom/live_hls.py): `manage.py live_hls` forwards each Janus room's
# publisher to ffmpeg, which writes HLS into LIVE_HLS_ROOT/<unguessable folder>/ (outside MEDIA_ROOT),
# served by nginx (deploy/nginx.conf, secure_link with LIVE_HLS_SECRET) or by Django in development.
# Members get HLS instead of WebRTC when the room has at least LIVE_HLS_MIN_VIEWERS people (0: never).
LIVE_HLS_ROOT = Path(env_str("LIVE_HLS_ROOT", str(BASE_DIR / "private" / "live-hls")))
LIVE_HLS_SECRET = env_str("LIVE_HLS_SECRET")  # nginx's secure_link_md5 secret; empty: from SECRET_KEY
LIVE_HLS_MIN_VIEWERS = env_int("LIVE_HLS_MIN_VIEWERS", 60)
LIVE_HLS_SEGMENT_SECONDS = env_int("LIVE_HLS_SEGMENT_SECONDS", 2)
# A URL lasts the class (and the sweep's grace), at least this long.
LIVE_HLS_TOKEN_MINUTES = env_int("LIVE_HLS_TOKEN_MINUTES", 30)
# Where Janus sends the RTP: the host of the live HLS supervisor.
LIVE_HLS_FORWARD_HOST = env_str("LIVE_HLS_FORWARD_HOST", "127.0.0.1")

# --- Teacher evaluation -----------------------------------------------------------------------------
EVALUATION_OPEN_DAYS = env_int("EVALUATION_OPEN_DAYS", 7)  # members may answer this long after the end
EVALUATION_REMIND_HOURS = env_int("EVALUATION_REMIND_HOURS", 24)  # remind non-respondents this long before
EVALUATION_MIN_RESPONSES = env_int("EVALUATION_MIN_RESPONSES", 5)  # results hidden below this many answers
EVALUATION_AWARD_MIN_RATE = env_int("EVALUATION_AWARD_MIN_RATE", 90)  # % satisfied to stay award-eligible
EVALUATION_RECTIFY_BELOW_RATE = env_int("EVALUATION_RECTIFY_BELOW_RATE", 60)  # % below which to rectify
# Seals answer sheets while an evaluation is open; empty: derived from SECRET_KEY. Keep it until every
# evaluation open when it changes has closed (the sweep refuses to count ballots it cannot open).
EVALUATION_BALLOT_KEY = env_str("EVALUATION_BALLOT_KEY")

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["lms.formats"]  # small corrections to Django's Chinese date formats
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "static_root")))
STATICFILES_DIRS = [BASE_DIR / "lms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STATIC_COMPRESS = env_bool("STATIC_COMPRESS", True)  # gzip and Brotli copies at collectstatic (production)
STORAGES = {
    # New uploads get an unguessable folder: images/<20 random hex>/name (lms/files/storage.py).
    "default": {"BACKEND": "lms.files.storage.UnguessableNamesStorage"},
    "staticfiles": {
        "BACKEND": "lms.files.storage.StaticFilesStorage"  # whitenoise's, with URLs kept per process
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env_str("SITE_NAME", "三级党校培训平台")
WAGTAILADMIN_BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000")

# Mail (evaluation reminders): printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@localhost")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "txt", "mp4", "mp3", "m4a"]
# Files are private to their school (lms/files): documents only through Wagtail's view, which checks
# the collection's view restriction; images through the media gate (/media/, lms/files/views.py).
# With FILES_ACCEL_REDIRECT (production, behind deploy/nginx.conf) the app answers with an
# X-Accel-Redirect to FILES_ACCEL_REDIRECT_PREFIX, an nginx `internal` location, and nginx sends the file.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}  # the media gate has no password form
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL  # a restricted document sends a signed-out visitor to our login
FILES_ACCEL_REDIRECT = env_bool("FILES_ACCEL_REDIRECT", PRODUCTION)
FILES_ACCEL_REDIRECT_PREFIX = env_str("FILES_ACCEL_REDIRECT_PREFIX", "/protected-media/")
if FILES_ACCEL_REDIRECT:
    SENDFILE_BACKEND = "lms.files.accel"
# Township intranets may be offline: no avatar service, no update check against the internet.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Security ---------------------------------------------------------------------------------
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Scripts: our own files, inline ones only with the request's nonce (`nonce="{{ request.csp_nonce }}"`),
# and the few inline event handlers below by their hash. Styles may be inline (templates use <style>).
CSP_INLINE_HANDLERS = ["window.print()", "this.select()", "this.form.submit()"]
# Browsers in the live room talk to Janus directly (lms/classroom/janus.py), perhaps on another origin.


def _janus_browser_origins() -> list[str]:
    try:
        instances = json.loads(JANUS_INSTANCES or "{}").values()
        urls = [JANUS_PUBLIC_URL or JANUS_URL] + [i.get("public_url") or i.get("url") for i in instances]
    except (ValueError, AttributeError):  # lms/classroom/janus.py says what is wrong with it
        urls = [JANUS_PUBLIC_URL or JANUS_URL]
    schemes = {"http": ("http", "ws"), "https": ("https", "wss")}
    return [
        f"{scheme}://{url.netloc}"
        for url in map(urlsplit, filter(None, urls))
        if url.netloc
        for scheme in schemes.get(url.scheme, (url.scheme,))
    ]


CSP_MEDIA_SERVERS = _janus_browser_origins()
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, UNSAFE_HASHES]
        + [f"'sha256-{b64encode(sha256(h.encode()).digest()).decode()}'" for h in CSP_INLINE_HANDLERS],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF, *CSP_MEDIA_SERVERS],  # 'self' covers the same host's ws:/wss: too
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}
CSP_INLINE_SCRIPT_PREFIXES = ("/admin/", "/api/v1/docs")  # Wagtail's admin: inline scripts, no nonces
PERMISSIONS_POLICY = {
    feature: []
    for feature in ("camera", "microphone", "display-capture", "geolocation", "payment", "usb", "serial")
}
PERMISSIONS_POLICY_MEDIA = {"camera": "self", "microphone": "self", "display-capture": "self"}
PERMISSIONS_POLICY_MEDIA_VIEWS = {"classroom:room"}  # the live room

LOG_LEVEL = env_str("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")
# The level on the handler too: `db_worker` sets its own loggers to INFO, which under `make run` buried
# the demo logins under a line per task (a failed task is still logged, at ERROR).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
