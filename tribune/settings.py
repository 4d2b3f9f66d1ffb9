"""Tribune's settings: every value comes from the environment.

The defaults give a working development site on SQLite with local-memory
caching. Production sets DATABASE_URL, REDIS_URL, TRIBUNE_SECRET_KEY (or
TRIBUNE_SECRET_KEY_FILE), ALLOWED_HOSTS and DEBUG=0; see deploy/tribune.env.example.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("TRIBUNE_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("TRIBUNE_SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "development-only-" + "x" * 50

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django_htmx",
    "accounts",
    "newsroom",
    "discussion",
    "importers",
    "moderation",
    "notifications",
    "tribune",
    "ninja",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the page cache, so cached pages carry the policy too.
    "tribune.csp.ContentSecurityPolicyMiddleware",
    # Before sessions and auth: a hit for an anonymous reader skips them.
    "newsroom.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the language cookie (set by the switcher), then
    # Accept-Language. URLs carry no language prefix: an article's address is
    # the same permalink in every language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets the security log say who changed a role or a password.
    "accounts.security.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tribune.urls"
WSGI_APPLICATION = "tribune.wsgi.application"
ASGI_APPLICATION = "tribune.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tribune.context_processors.site",
                "moderation.context_processors.moderation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default, anything dj-database-url reads
# (PostgreSQL with psycopg 3 in production) from DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A server that stops answering (its host gone, a network split) must
        # not hold requests for the system's TCP timeout: they fail within
        # this many seconds with the 503 page (tribune.views.server_error).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "tribune.sqlite3")),
            # Opening SQLite and running the PRAGMAs below costs more than a
            # cached page's one query: keep connections, one per thread.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so
                # concurrent writers queue on busy_timeout instead of failing
                # with "database is locked" when a reader upgrades to writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        env_str("SQLITE_TEST_PATH", "") or None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, local memory otherwise. Rate limits use
# their own alias so that, without Redis, they are shared by every worker
# through the database instead of living in one process's memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        # While Redis is away the site serves without a cache (lib.cache).
        "default": {
            "BACKEND": "lib.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tribune",
            # A Redis that stops answering must not hang requests.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tribune-rl",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        # Where rate limits are counted while Redis is away (lib.ratelimit).
        "ratelimit-fallback": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tribune_ratelimit",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tribune_ratelimit",
        },
    }
# With Redis, sessions are read from the cache and written through to the
# database, so they survive a Redis outage or restart. Without it they stay in
# the database: a local-memory cache is not shared between workers.
SESSION_ENGINE = "accounts.sessions.cached_db" if REDIS_URL else "accounts.sessions.db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.CaseInsensitiveModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # 40,101 passwords from breach corpora: Django's own list merged with
    # zxcvbn's (see accounts/data/README.md).
    {
        "NAME": f"{_VALIDATORS}.CommonPasswordValidator",
        "OPTIONS": {
            "password_list_path": BASE_DIR / "accounts/data/common-passwords.txt.gz"
        },
    },
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-signin"
LOGIN_REDIRECT_URL = "newsroom-front"
LOGOUT_REDIRECT_URL = "newsroom-front"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice lives in Django's language cookie for a year; the
# anonymous page cache keys on it along with Accept-Language.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The reference publication is Russian; its timestamps are Moscow time.
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production `tribune collectstatic` writes content-hashed copies
# (tribune.3f2a9c.css) and templates link to them, so nginx can let browsers
# keep static files for a year. With DEBUG on (development and tests) names
# stay plain and no manifest is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}

# Email: console by default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tribune <noreply@localhost>")

# Security headers and cookies. SECURE_* follow HTTPS, which production
# declares with SECURE_SSL=1 behind nginx.
SECURE_SSL = env_bool("SECURE_SSL", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (tribune/csp.py); report-only to try a change first.
TRIBUNE_CSP_REPORT_ONLY = env_bool("TRIBUNE_CSP_REPORT_ONLY", False)
# Behind a proxy, the reader's address comes from this header (set by nginx).
TRIBUNE_CLIENT_IP_HEADER = env_str("TRIBUNE_CLIENT_IP_HEADER", "")

# Discussion rules.
TRIBUNE_COMMENT_MAX_LENGTH = env_int("TRIBUNE_COMMENT_MAX_LENGTH", 10000, minimum=1)
TRIBUNE_EDIT_WINDOW_SECONDS = env_int("TRIBUNE_EDIT_WINDOW_SECONDS", 15 * 60, minimum=0)
TRIBUNE_COLLAPSE_SCORE = env_int("TRIBUNE_COLLAPSE_SCORE", -5)
TRIBUNE_COMMENT_MIN_INTERVAL = env_int("TRIBUNE_COMMENT_MIN_INTERVAL", 20, minimum=0)
# 0: no hourly limit (the minimum interval still applies).
TRIBUNE_COMMENTS_PER_HOUR = env_int("TRIBUNE_COMMENTS_PER_HOUR", 30, minimum=0)
# Sign-in throttling: failures allowed per account and per address in the window.
TRIBUNE_SIGNIN_WINDOW = env_int("TRIBUNE_SIGNIN_WINDOW", 15 * 60, minimum=1)
TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT = env_int(
    "TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT", 5, minimum=1
)
TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS = env_int(
    "TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS", 20, minimum=1
)
TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR = env_int(
    "TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR", 5, minimum=1
)
# Ranks in the style of the reference site: (reputation threshold, name).
TRIBUNE_RANKS = [
    (0, "Private"),
    (10, "Corporal"),
    (50, "Sergeant"),
    (150, "Sergeant Major"),
    (300, "Warrant Officer"),
    (600, "Lieutenant"),
    (1000, "Captain"),
    (2000, "Major"),
    (4000, "Lieutenant Colonel"),
    (8000, "Colonel"),
    (15000, "General"),
]
ARTICLES_PER_PAGE = env_int("TRIBUNE_ARTICLES_PER_PAGE", 20, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "tribune": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    },
}

# An expired form gives the reader's text back instead of a bare 403.
CSRF_FAILURE_VIEW = "tribune.views.csrf_failure"

# Moderation. Pre-moderation for everyone and read-only are switches in the
# database (moderation.SiteMode) so moderators can flip them at run time.
# New readers' comments wait for review until this many were approved (0: off).
TRIBUNE_PREMODERATE_NEW_READERS = env_int(
    "TRIBUNE_PREMODERATE_NEW_READERS", 0, minimum=0
)
# Comments with links from readers below this trust level wait for review.
TRIBUNE_LINKS_MIN_TRUST = env_int("TRIBUNE_LINKS_MIN_TRUST", 1, minimum=0)
# What a suspect word does: "report" (publish and report) or "hold".
TRIBUNE_SUSPECT_WORDS = env_str("TRIBUNE_SUSPECT_WORDS", "report")
if TRIBUNE_SUSPECT_WORDS not in {"report", "hold"}:
    raise ImproperlyConfigured("TRIBUNE_SUSPECT_WORDS must be report or hold")
# Comments close this many days after publication (0: never).
TRIBUNE_AUTO_CLOSE_DAYS = env_int("TRIBUNE_AUTO_CLOSE_DAYS", 0, minimum=0)
# The same text again within this window is refused.
TRIBUNE_DUPLICATE_WINDOW = env_int("TRIBUNE_DUPLICATE_WINDOW", 3600, minimum=0)
# Accounts younger than this get tighter posting limits.
TRIBUNE_NEW_ACCOUNT_SECONDS = env_int("TRIBUNE_NEW_ACCOUNT_SECONDS", 86400, minimum=0)
TRIBUNE_NEW_ACCOUNT_MIN_INTERVAL = env_int(
    "TRIBUNE_NEW_ACCOUNT_MIN_INTERVAL", 60, minimum=0
)
TRIBUNE_NEW_ACCOUNT_COMMENTS_PER_HOUR = env_int(
    "TRIBUNE_NEW_ACCOUNT_COMMENTS_PER_HOUR", 10, minimum=1
)
# Trust: level 1 after this many approved comments, level 2 ("trusted") with
# this reputation as well, or by membership of the "Trusted readers" group.
TRIBUNE_TRUST_MIN_APPROVED = env_int("TRIBUNE_TRUST_MIN_APPROVED", 3, minimum=0)
TRIBUNE_TRUSTED_REPUTATION = env_int("TRIBUNE_TRUSTED_REPUTATION", 50)
# Reputation changes besides votes.
TRIBUNE_REPUTATION_APPROVED = env_int("TRIBUNE_REPUTATION_APPROVED", 1)
TRIBUNE_REPUTATION_REMOVED = env_int("TRIBUNE_REPUTATION_REMOVED", -5)

# What deleting an account does to the reader's comments: "keep" them in their
# threads by "deleted account", or "remove" them (shown as removed). Either
# way their numbers stay taken.
TRIBUNE_DELETED_ACCOUNT_COMMENTS = env_str("TRIBUNE_DELETED_ACCOUNT_COMMENTS", "keep")
if TRIBUNE_DELETED_ACCOUNT_COMMENTS not in {"keep", "remove"}:
    raise ImproperlyConfigured(
        "TRIBUNE_DELETED_ACCOUNT_COMMENTS must be keep or remove"
    )

# Notifications: the local hour from which the worker writes the day's digests.
TRIBUNE_DIGEST_HOUR = env_int("TRIBUNE_DIGEST_HOUR", 7, minimum=0)

# Threads show this many top-level comments (with their replies) per page.
TRIBUNE_THREAD_PAGE_SIZE = env_int("TRIBUNE_THREAD_PAGE_SIZE", 100, minimum=1)

# Live updates: a stream lasts this long under ASGI; without Redis (and under
# WSGI) open pages ask the database for new comments this often.
TRIBUNE_LIVE_MAX_SECONDS = env_int("TRIBUNE_LIVE_MAX_SECONDS", 300, minimum=1)
TRIBUNE_LIVE_POLL_SECONDS = env_int("TRIBUNE_LIVE_POLL_SECONDS", 2, minimum=1)
