"""Logins read from the cache (Redis) and kept in the database, working on while Redis is down.

Django's `cached_db` store already survives a failed cache read and a failed write of the session
itself, but not the copy it writes back after reading the database, nor the cache look-ups of
`exists` and `delete`: with Redis stopped every page of a logged-in person (and every websocket
handshake) answered 500. Here the reads are tried and, on failure, logged and skipped: the
database has the session, and the cache is filled again once Redis is back. A logout (`delete`)
still fails loudly while Redis is unreachable: skipping it could bring the session back from a
Redis that was only cut off.
"""

import logging

from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

logger = logging.getLogger("django.contrib.sessions")

__all__ = ["KEY_PREFIX", "SessionStore"]


class SessionStore(CachedDbStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("Sessions: the cache could not be read; reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_quietly("set", self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key):
        if session_key:
            try:
                if (self.cache_key_prefix + session_key) in self._cache:
                    return True
            except Exception:
                logger.warning("Sessions: the cache could not be read; asking the database", exc_info=True)
        return super(CachedDbStore, self).exists(session_key)

    async def aload(self):
        try:
            data = await self._cache.aget(await self.acache_key())
        except Exception:
            logger.warning("Sessions: the cache could not be read; reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = await self._aget_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        expiry = await self.aget_expiry_age(expiry=stored.expire_date)
        try:
            await self._cache.aset(await self.acache_key(), data, expiry)
        except Exception:
            logger.warning("Sessions: the cache could not be written", exc_info=True)
        return data

    def _cache_quietly(self, method: str, *args):
        try:
            getattr(self._cache, method)(*args)
        except Exception:
            logger.warning("Sessions: the cache could not be written (%s)", method, exc_info=True)
