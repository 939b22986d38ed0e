"""Settings for the test suite: the portal's own settings with test-only speed-ups.

DATABASE_URL and REDIS_URL still come from the environment, so CI runs the suite on
PostgreSQL and Redis while a laptop without them runs it on SQLite with eager tasks.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)

from portal.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PRIVATE_DOCUMENT_ROOT = Path(tempfile.mkdtemp(prefix="portal-test-documents-"))
SECURE_SSL_REDIRECT = False
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="portal-test-static-"))
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests run against the real backends (DATABASE_URL/REDIS_URL) but keep Celery eager unless
# a test starts a worker itself.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {
    # Room for a 500-row page of cached fragments without culling the user's cached facts
    # (Redis, in production, keeps every key until it expires).
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
    "fragments": CACHES["fragments"],
}
