"""Django settings for DigiGov. Everything that differs between machines comes from the environment."""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent.parent

DIGIGOV_ENV = os.environ.get("DIGIGOV_ENV", "development")  # development | demo | test | production
DEBUG = os.environ.get("DEBUG", "1" if DIGIGOV_ENV in {"development", "demo"} else "0") == "1"

_insecure_default = "digigov-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _insecure_default)
if _insecure_default == SECRET_KEY and DIGIGOV_ENV == "production":
    raise RuntimeError("SECRET_KEY must be set in production")

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "digigov.platform",
    "digigov.blocks.audit",
    "digigov.blocks.registries",
    "digigov.blocks.identity",
    "digigov.blocks.consent",
    "digigov.blocks.services",
    "digigov.blocks.workflow",
    "digigov.blocks.messaging",
    "digigov.blocks.kpi",
    "digigov.blocks.capability",
    "digigov.blocks.rules",
    "digigov.frontdoors.portal",
    "digigov.frontdoors.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "digigov.platform.middleware.RequestIdMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "digigov.platform.security.UploadLimitMiddleware",
    "digigov.platform.security.NulRefusalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "digigov.platform.security.RateLimitMiddleware",
    "digigov.frontdoors.govstack.middleware.ApiCallRecorder",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "digigov.platform.urls"
WSGI_APPLICATION = "digigov.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "digigov.platform.context.platform",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'var' / 'digigov.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DIGIGOV_ENV == "test" else DATABASES["default"]["CONN_MAX_AGE"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.Account"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "digigov.blocks.identity.backends.SignInIdBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if DIGIGOV_ENV == "test":
    # Tests create many accounts; a fast hasher keeps the suite quick. Never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:sign-in"

# Login throttling (django-axes): lock a sign-in id after repeated failures from the same address.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "digigov.blocks.identity.backends.locked_out"
AXES_VERBOSE = False

# Rate limits (platform/security.py): fixed windows per address and per client (sign-in id, account or API
# key), "count/period" with period s, m, h or d. On by default in production and the demo; off in development
# and tests (one process signs the same people in many times), where the hardening tests switch them on.
# Point the cache alias at a shared cache when several processes serve.
_rate_limits_default = "1" if DIGIGOV_ENV in {"production", "demo"} else "0"
DIGIGOV_RATE_LIMITS_ENABLED = os.environ.get("DIGIGOV_RATE_LIMITS", _rate_limits_default) == "1"
DIGIGOV_RATE_LIMITS = {
    "sign_in": {
        "per_ip": os.environ.get("DIGIGOV_RATE_SIGN_IN_PER_IP", "30/m"),
        "per_client": os.environ.get("DIGIGOV_RATE_SIGN_IN_PER_CLIENT", "10/m"),
    },
    "api": {
        "per_ip": os.environ.get("DIGIGOV_RATE_API_PER_IP", "600/m"),
        "per_client": os.environ.get("DIGIGOV_RATE_API_PER_CLIENT", "300/m"),
    },
}
DIGIGOV_RATE_LIMIT_CACHE = "default"

# Upload limits: forms and JSON bodies up to 1 MB, multipart uploads (files) up to 10 MB; larger gets 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DIGIGOV_UPLOAD_MAX_SIZE = int(os.environ.get("DIGIGOV_UPLOAD_MAX_SIZE", str(10 * 1024 * 1024)))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ms", "Bahasa Melayu"), ("zh-hans", "中文"), ("ta", "தமிழ்")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Singapore")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "var" / "static"
STATICFILES_DIRS = [PROJECT_DIR / "frontend" / "dist"] if (PROJECT_DIR / "frontend" / "dist").exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security headers and cookies. Cookies are Secure unless the deployment explicitly serves plain HTTP
# (the local demo and tests on 127.0.0.1).
HTTPS = os.environ.get("DIGIGOV_HTTPS", "0" if DIGIGOV_ENV in {"development", "demo", "test"} else "1") == "1"
if not HTTPS and DIGIGOV_ENV != "production":
    # Authlib refuses OAuth over plain http except on loopback addresses; a development or demo server reached by
    # another name over http (a LAN address, a container's name) must still sign people in. Production is https.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
# Sessions live in the database, not in a per-process cache: signing out in one process must end the
# session in every process at once.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = HTTPS and os.environ.get("DIGIGOV_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Email: real SMTP; host and port from the environment (a local aiosmtpd in tests, Mailpit or a relay in demo).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "DigiGov <no-reply@digigov.example>")


def _key_from_env(name: str, purpose: bytes) -> bytes:
    """A 32-byte key from the environment (base64), or derived from SECRET_KEY outside production."""
    if value := os.environ.get(name):
        return base64.b64decode(value)
    if DIGIGOV_ENV == "production":
        raise RuntimeError(f"{name} must be set in production")
    return hashlib.sha256(purpose + SECRET_KEY.encode()).digest()


# National ID numbers are encrypted (AES-256-GCM) and looked up through a keyed blind index (HMAC-SHA256);
# the two keys are distinct so that one leaking does not expose the other's purpose.
# DIGIGOV_DATA_KEY is the legacy (version 1) field key: it only reads ciphertexts written before envelope
# encryption, until `digigov keys rotate` has re-encrypted them (docs/security.md).
DIGIGOV_DATA_KEY = (
    base64.b64decode(os.environ["DIGIGOV_DATA_KEY"]) if os.environ.get("DIGIGOV_DATA_KEY")
    else hashlib.sha256(b"digigov:data-key:" + SECRET_KEY.encode()).digest()
)
DIGIGOV_BLIND_INDEX_KEY = _key_from_env("DIGIGOV_BLIND_INDEX_KEY", b"digigov:blind-index:")
# Earlier blind-index keys (comma-separated base64): lookups try them too until `digigov keys rotate-index` has
# moved every index onto the current key; then remove them (docs/security.md).
DIGIGOV_BLIND_INDEX_KEY_PREVIOUS = [
    base64.b64decode(v) for v in os.environ.get("DIGIGOV_BLIND_INDEX_KEY_PREVIOUS", "").split(",") if v
]
# Pseudonyms handed out and kept by others (pairwise subject ids of relying parties, passkey user handles) must
# never change, so they have their own key, which is never rotated. Derived like the blind-index key outside
# production, so the pseudonyms given before it existed stay the same.
DIGIGOV_PSEUDONYM_KEY = _key_from_env("DIGIGOV_PSEUDONYM_KEY", b"digigov:blind-index:")

# Envelope encryption: data keys (AES-256) live wrapped in the platform_datakey table; the key-encryption
# key (KEK) that wraps them comes from the KMS backend: locally from DIGIGOV_KEK_FILE (first line current,
# later lines earlier KEKs) or DIGIGOV_KEK + DIGIGOV_KEK_PREVIOUS (comma-separated). See docs/security.md.
DIGIGOV_KMS_BACKEND = os.environ.get("DIGIGOV_KMS_BACKEND", "digigov.platform.backends.kms.LocalKeyWrapper")
DIGIGOV_KEK_FILE = os.environ.get("DIGIGOV_KEK_FILE", "")
DIGIGOV_KEK = b"" if DIGIGOV_KEK_FILE else _key_from_env("DIGIGOV_KEK", b"digigov:kek:")
DIGIGOV_KEK_PREVIOUS = [base64.b64decode(v) for v in os.environ.get("DIGIGOV_KEK_PREVIOUS", "").split(",") if v]
# How long a process keeps using the primary data key it looked up; a demoted key is retired only after this.
DIGIGOV_KEY_CACHE_SECONDS = int(os.environ.get("DIGIGOV_KEY_CACHE_SECONDS", "30"))
# Backup archives are encrypted with their own key, so a copied archive alone reveals nothing.
DIGIGOV_BACKUP_KEY = _key_from_env("DIGIGOV_BACKUP_KEY", b"digigov:backup-key:")
# Audit seals are signed with an Ed25519 key: its 32-byte seed from DIGIGOV_SEALING_KEY (base64) or from the
# file DIGIGOV_SEALING_KEY_FILE (base64 text); derived from SECRET_KEY outside production. docs/audit.md.
DIGIGOV_SEALING_KEY_FILE = os.environ.get("DIGIGOV_SEALING_KEY_FILE", "")
DIGIGOV_SEALING_KEY = (
    b"" if DIGIGOV_SEALING_KEY_FILE else _key_from_env("DIGIGOV_SEALING_KEY", b"digigov:sealing-key:")
)
# The worker chains and seals audit entries; 0 turns that step off (for the sealing-overhead benchmark).
DIGIGOV_AUDIT_SEALING = os.environ.get("DIGIGOV_AUDIT_SEALING", "1") == "1"
# Seconds between the worker's chaining passes. Each pass is a write transaction (two on SQLite, where it takes the
# one write lock the requests need): passes once a second, each chaining and sealing what a second brought, cost
# the requests far less than a pass on every turn of the worker's loop.
DIGIGOV_AUDIT_CHAIN_INTERVAL = float(os.environ.get("DIGIGOV_AUDIT_CHAIN_INTERVAL", "1"))

# The worker delivers outbox events; tests may deliver them inline after each commit.
DIGIGOV_DELIVER_EVENTS_INLINE = os.environ.get("DIGIGOV_DELIVER_EVENTS_INLINE", "0") == "1"
# The demo's address is localhost: browsers refuse an IP address as a passkey's relying party.
DIGIGOV_SITE_URL = os.environ.get(
    "DIGIGOV_SITE_URL", "http://localhost:8000" if DIGIGOV_ENV == "demo" else "http://127.0.0.1:8000"
)
DIGIGOV_BENCH = os.environ.get("DIGIGOV_BENCH", "0") == "1"
# Columnar copy of the KPI event stream and its daily rollups (Parquet files read by DuckDB).
DIGIGOV_WAREHOUSE_DIR = Path(os.environ.get("DIGIGOV_WAREHOUSE_DIR", PROJECT_DIR / "var" / "warehouse"))
# GovStack APIs (docs/govstack.md): addresses of Information Mediator security servers whose
# `Information-Mediator-Client` header is trusted as the caller's identity. Off unless configured; `make demo`
# trusts a mediator on 127.0.0.1.
_mediators_default = "127.0.0.1" if DIGIGOV_ENV == "demo" else ""
DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES = [
    a.strip() for a in os.environ.get("DIGIGOV_GOVSTACK_MEDIATORS", _mediators_default).split(",") if a.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "WARNING"}},
}

# --- GovStack Registration: documents (services block) ---
# The file types an upload may be, recognised from the file's own first bytes, not from what the sender claims.
DIGIGOV_UPLOAD_ALLOWED_TYPES = os.environ.get(
    "DIGIGOV_UPLOAD_ALLOWED_TYPES", "application/pdf,image/png,image/jpeg"
).split(",")
# The virus scanner every upload passes (services/backends.py): a real engine's adapter in production.
DIGIGOV_DOCUMENT_SCANNER = os.environ.get(
    "DIGIGOV_DOCUMENT_SCANNER",
    "digigov.blocks.services.backends.ClamdScanner"
    if DIGIGOV_ENV == "production"
    else "digigov.blocks.services.backends.AcceptingScanner",
)
# ClamAV's daemon (ClamdScanner): host:port of its TCP socket, and how long one scan may take.
DIGIGOV_CLAMD_ADDRESS = os.environ.get("DIGIGOV_CLAMD_ADDRESS", "127.0.0.1:3310")
DIGIGOV_CLAMD_TIMEOUT = float(os.environ.get("DIGIGOV_CLAMD_TIMEOUT", "30"))

# --- messaging: SMS provider and delivery callbacks (docs/govstack.md, "Messaging") ---
# SMS goes to a provider over HTTP in Twilio's Messages API shape. The defaults point at the local stand-in that
# `make demo` runs (python -m digigov.blocks.messaging.sms_standin), as the email defaults point at its SMTP server.
DIGIGOV_SMS_BACKEND = os.environ.get("DIGIGOV_SMS_BACKEND", "digigov.blocks.messaging.backends.sms.HttpSmsGateway")
# In production there are no defaults: an unset provider makes SMS deliveries fail visibly, never go to a stand-in.
_sms_standin = DIGIGOV_ENV != "production"
DIGIGOV_SMS_URL = os.environ.get("DIGIGOV_SMS_URL", "http://127.0.0.1:8025" if _sms_standin else "")
DIGIGOV_SMS_ACCOUNT = os.environ.get("DIGIGOV_SMS_ACCOUNT", "ACdigigovdemo" if _sms_standin else "")
DIGIGOV_SMS_TOKEN = os.environ.get("DIGIGOV_SMS_TOKEN", "demo-token" if _sms_standin else "")
DIGIGOV_SMS_FROM = os.environ.get("DIGIGOV_SMS_FROM", "DigiGov")
DIGIGOV_SMS_TIMEOUT = float(os.environ.get("DIGIGOV_SMS_TIMEOUT", "10"))
# Delivery status callbacks to calling systems: how long one POST may take (at most 5 s: callbacks share the
# worker). Outside development, demo and tests the callback address must be https, so the signed status reports
# are not readable on the way.
DIGIGOV_MESSAGING_CALLBACK_TIMEOUT = float(os.environ.get("DIGIGOV_MESSAGING_CALLBACK_TIMEOUT", "5"))
DIGIGOV_MESSAGING_CALLBACK_ALLOW_HTTP = DIGIGOV_ENV in {"development", "demo", "test"}

# --- identity: passkeys, signed-in sessions, self-service unlock (docs/identity.md) ---
# Each signed-in session is recorded so the person can see and end it; the middleware needs request.user.
MIDDLEWARE = [*MIDDLEWARE, "digigov.blocks.identity.middleware.SignedInSessionMiddleware"]

# --- messaging: callback addresses ---
# Delivery status callbacks go only to public addresses: the host is resolved when the endpoint is registered and
# again before each POST, and a private, loopback, link-local or otherwise non-global address is refused, so a
# calling system cannot make the worker post into the platform's own network. Development, the demo and the tests
# run their receivers on this machine.
DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE = DIGIGOV_ENV in {"development", "demo", "test"}
# How long a worker's claim on an email or SMS it is sending lasts: a worker that died mid-send leaves it to lapse.
DIGIGOV_MESSAGING_SEND_LEASE_SECONDS = float(os.environ.get("DIGIGOV_MESSAGING_SEND_LEASE_SECONDS", "120"))
