"""Hourly counters in the cache (Redis in CI and production, local memory otherwise).

Each hit is one atomic `incr` on a key for (what, who, this hour), so two requests at the edge of a
limit cannot both pass: the cache hands them different counts. Who is hashed with the secret key, so
the cache holds no phone numbers or addresses. With the local-memory cache each server process counts
on its own: production runs Redis (REDIS_URL).
"""

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

WINDOW_SECONDS = 3600
NAMESPACE = "accounts:rl"  # tests give each test its own


def _key(scope: str, who: str) -> str:
    hour = timezone.now().strftime("%Y%m%d%H")
    digest = salted_hmac("lms.accounts.ratelimit", f"{scope}:{who}", algorithm="sha256").hexdigest()[:32]
    return f"{NAMESPACE}:{scope}:{hour}:{digest}"


def hit(scope: str, who: str, limit: int) -> bool:
    """Count one request of `who` in `scope` this hour; False when it is over `limit`."""
    key = _key(scope, who)
    for _attempt in range(2):
        cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
        try:
            return cache.incr(key) <= limit
        except ValueError:  # the key expired between add and incr: start it again
            continue
    return False


def reset(scope: str, who: str) -> None:
    cache.delete(_key(scope, who))
