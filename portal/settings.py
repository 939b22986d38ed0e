"""Settings for the biospecimen access portal.

Everything that differs between a laptop, CI and production comes from the environment
(see docs/configuration.md). With no DATABASE_URL the portal runs on SQLite; with no
REDIS_URL Celery runs tasks eagerly in the web process.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(or DEBUG=true for local development only)."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The program's time zone: due dates and reminder days are decided here; storage is UTC.
TIME_ZONE = env.str("PROGRAM_TIME_ZONE", default="America/Chicago")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True

PORTAL_NAME = "Biospecimen Access Portal"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "portal",
    "applications",
    "review",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.SessionIdleRefreshMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "portal.middleware.RequireTwoFactorMiddleware",
    "portal.middleware.NoStoreForSignedInMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "django.template.context_processors.csp",
                "portal.context_processors.portal",
                "portal.onboarding.context_processors.access_banner",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------

# Local state (the SQLite file, private documents in development) lives in var/, which git
# ignores.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments the same on many pages (base.html): kept in each process's memory, as
# their keys name everything they show and they never need invalidating.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "portal-fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# --- Users, authentication, sessions --------------------------------------------------

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "portal.accounts.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Sign-up asks for the full name too (portal.accounts.SignupExtraForm).
ACCOUNT_SIGNUP_FORM_CLASS = "portal.accounts.SignupExtraForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PORTAL_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Two layers against password guessing. django-axes (below) locks one account from one
# address after 5 failures. allauth's limits catch what that cannot: many accounts tried
# from one address (30 a minute), or one account tried from many addresses (10 in 15
# minutes). The per-account limit sits above axes's 5 so that a single-address attacker
# trips the per-address lockout first, and it lifts by itself within 15 minutes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/m/ip,10/15m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PORTAL_NAME
MFA_RECOVERY_CODE_COUNT = 10

# Lockout: five failures for one account from one address lock that pair for 15 minutes.
# Keying on the pair (not on the account alone) means an attacker elsewhere cannot lock
# the real user out, and the lock lifts by itself.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "portal.accounts.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

# Sessions end after 30 minutes without a request.
# Sessions are read from the cache (Redis in production) and written through to the
# database, so that a page view reads no session row and a cache flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 30 * 60
# Not saved on every request: portal.middleware.SessionIdleRefreshMiddleware renews the
# expiry at most once a minute, so a plain page view writes no session row.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers ------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Static files and private documents ------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from the npm registry (package.json and its lock file).
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded documents live outside the web root and are served only by a permission-checked
# view; there is deliberately no MEDIA_URL.
PRIVATE_DOCUMENT_ROOT = Path(
    env.str("PRIVATE_DOCUMENT_ROOT", default=str(BASE_DIR / "var" / "documents"))
)
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------

# With no EMAIL_HOST, mail is printed to the console in development (DEBUG) and goes to an
# SMTP server on localhost otherwise. Tests swap in the in-memory backend for every mailer.
_email_host = env.str("EMAIL_HOST", default="" if DEBUG else "localhost")
if _email_host:
    MAILERS = {
        "default": {
            # Django's, with RFC 5322's 998-character lines: links are never cut (portal/mail.py).
            "BACKEND": "portal.mail.SMTPBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env.int("EMAIL_PORT", default=25),
                "username": env.str("EMAIL_HOST_USER", default=""),
                "password": env.str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env.bool("EMAIL_USE_TLS", default=False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "portal.mail.ConsoleBackend"}}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Biospecimen Access Portal <no-reply@biobank.example.org>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The beat schedule lives here, in code; each issue adds its scheduled jobs.
CELERY_BEAT_SCHEDULE = {
    "notifications-resend-unsent": {
        "task": "portal.tasks.notifications_resend_unsent",
        "schedule": crontab(minute="*/10"),
    },
    # Onboarding (policy 2.1): crontab times are in CELERY_TIMEZONE, the program's zone,
    # outside 01:00-03:00, which the daylight-saving switches skip or repeat.
    "controlled-tier-roster-nightly": {
        "task": "portal.onboarding.tasks.roster_refresh_nightly",
        "schedule": crontab(hour=3, minute=0),
    },
    "access-recheck-daily": {
        "task": "portal.onboarding.tasks.access_recheck_daily",
        "schedule": crontab(hour=3, minute=15),
    },
    "access-reminders-daily": {
        "task": "portal.onboarding.tasks.access_reminders_daily",
        "schedule": crontab(hour=7, minute=0),
    },
    "review-reminders-daily": {
        "task": "review.tasks.review_reminders_daily",
        "schedule": crontab(hour=7, minute=30),
    },
}

# Board review (policy 1.2, 3.1 to 3.5). Defaults the program may change; what a meeting
# used is stored on the meeting.
REVIEW_REVIEWERS_REQUIRED = env.int("REVIEW_REVIEWERS_REQUIRED", default=3)
REVIEW_DAYS_DEFAULT = env.int("REVIEW_DAYS_DEFAULT", default=21)  # due date offered
REVIEW_REMIND_DAYS_BEFORE = 3
REVIEW_APPEAL_WINDOW_DAYS = env.int("REVIEW_APPEAL_WINDOW_DAYS", default=30)
REVIEW_QUORUM_FRACTION = env.float("REVIEW_QUORUM_FRACTION", default=0.5)  # of the board
REVIEW_DECISION_RULE = env.str("REVIEW_DECISION_RULE", default="majority_present")
# Days an application may wait at a stage before the chair's queue highlights it.
REVIEW_STAGE_LIMIT_DAYS = {
    "awaiting_assignment": 7,
    "in_review": 28,
    "ready": 30,
    "deferred": 45,
    "revisions": 90,
}

# --- Forms, messages, logging --------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run in the request (the laptop default): one "Task … succeeded" line per email,
    # and kombu's note that no broker host is set, would bury the commands' own output.
    LOGGING["loggers"] |= {  # type: ignore[operator]
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
    }

# --- Access requirements (policy 2.1) -------------------------------------------------------

# Which Code of Conduct version is signed, and until when older ones count, is data that a
# program admin sets through an audited service (portal/agreements.py), not a setting.
# Where the Researcher Workbench drops its nightly Controlled Tier roster export (CSV). The
# beat job imports it at 03:00 when its content changed; empty means imports are by hand.
CONTROLLED_TIER_ROSTER_FILE = env.str("CONTROLLED_TIER_ROSTER_FILE", default="")
# A roster that would drop more than this share of the current roster's entries needs a
# second confirmation with a reason (page and command); the nightly refresh leaves it for a
# program admin to review instead of putting it in force.
ROSTER_DROP_CONFIRM_SHARE = env.float("ROSTER_DROP_CONFIRM_SHARE", default=0.10)
# Where a researcher applies for Controlled Tier access (the Researcher Workbench's page),
# linked from the requirements page.
CONTROLLED_TIER_ACCESS_URL = env.str(
    "CONTROLLED_TIER_ACCESS_URL", default="https://www.researchallofus.org/register/"
)
# Telephone numbers typed without a country code are read as numbers of this region.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")
# Who researchers write to when a step cannot be done (shown on the requirements page).
PORTAL_HELP_EMAIL = env.str("PORTAL_HELP_EMAIL", default="biospecimen-help@example.org")
# Version of the two consents' wording (portal/onboarding/wordings.py holds the text).
CONSENT_WORDING_VERSION = "2026.1"
# Days before the first lapse day (as the banner counts) on which a reminder goes out.
ACCESS_REMINDER_DAYS = (30, 15, 7, 1)

# Demo data may be loaded only where DEBUG is on (see `manage.py seed_demo`).
DEMO_PASSWORD = "Biobank-demo-2026"  # noqa: S105
