"""Cached fragments of member pages, valid until a table they show is written.

Two use it: "my training"'s timetable (lms/scheduling/views.py) and the home page's profile card
(lms/people/views.py: branch, township, teacher facts, staff schools).

"My training" (`/me/classes/`) builds a member's timetable, classes and the classes open to them
from a dozen tables; that is most of the page's cost, and it changes when staff or the member
change scheduling, leave or places, not when anyone signs in. So its HTML is kept in Redis per
user and language, together with the *write token* it was built under and the moment its text
stops being true, and served while the token is unchanged and that moment has not come.

The write token changes whenever any process writes one of `WATCHED_TABLES` (a database execute
wrapper on every connection sees each INSERT, UPDATE and DELETE, so bulk writes, admin edits,
imports and tasks count too): at once, and again when the transaction commits (a page built in
between from the old rows is then dropped). Attendance records are not watched: a burst of
sign-ins leaves the timetables cached. Time changes a timetable too ("today", which sessions have
started or ended, whether leave can still be asked): the view says when its fragment expires.

Forms in a fragment carry the request's CSRF token: the cached copy holds a placeholder that each
answer fills with its own token.

Only with Redis (settings.FRAGMENT_CACHE): an in-memory cache is one process's, and the worker's
writes would not reach the server's copy.
"""

import logging
import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lms.cache import FAILURES

logger = logging.getLogger(__name__)

TOKEN_KEY = "fragments:write-token"
SECONDS = 3600  # at most; an entry also says until when it is true
# Tables whose rows the cached fragments show (by prefix). Not online learning (courses_courselearner,
# courses_lessoncompletion…): members studying write those all day.
WATCHED_TABLES = (
    "scheduling_",
    "attendance_leaverequest",
    "courses_cityschoolpage",
    "courses_townshipschoolpage",
    "courses_teachingpointpage",
    "wagtailcore_page",
    "people_member",
    "people_teacher",
    "people_branch",
    "people_staffscope",
    "auth_user_groups",  # roles; not auth_user, which every login writes (its name is not in a fragment)
    "wagtailcore_site",  # a school page's address
)
# Written on a member's first visit (the calendar link is not in a fragment): not a change of timetable.
UNWATCHED_TABLES = ("scheduling_calendartoken",)
WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_PLACEHOLDER = "\x00csrf\x00"


def _watched_write(sql) -> bool:
    if not isinstance(sql, str):
        return False
    found = WRITE.match(sql)
    if not found:
        return False
    table = found.group(1)
    return table.startswith(WATCHED_TABLES) and not table.startswith(UNWATCHED_TABLES)


def token_renew() -> None:
    """Every cached fragment is out of date from now on."""
    try:
        cache.set(TOKEN_KEY, secrets.token_hex(8), None)
    except FAILURES:  # the cache is down: nothing is served from it either
        logger.warning("could not renew the fragments' write token", exc_info=True)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if _watched_write(sql):
        connection = context["connection"]
        if not connection.in_atomic_block:
            token_renew()
            return result
        # In a transaction: renewed at commit (when the rows become visible), and once at the first
        # such write, for readers sharing this connection (tests run inside a transaction never
        # committed), not at each statement: a stuck Redis then slows a transaction once, not an
        # import once per row.
        if not getattr(connection, "fragments_renewed", False):
            connection.fragments_renewed = True
            token_renew()
        if not _renews_at_commit(connection):
            transaction.on_commit(_renew_after_commit, using=connection.alias)
    return result


def _renew_after_commit() -> None:
    token_renew()
    _forget_renewals()


def _forget_renewals() -> None:
    for connection in connections.all(initialized_only=True):
        connection.fragments_renewed = False


def _renews_at_commit(connection) -> bool:
    return any(func is _renew_after_commit for _savepoints, func, _robust in connection.run_on_commit)


def _install(sender, connection, **kwargs):
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def install() -> None:
    """Watch every database connection of this process (called once, from AppConfig.ready)."""
    if settings.FRAGMENT_CACHE:
        connection_created.connect(_install, dispatch_uid="lms.fragments")


def cached(request, name: str, build) -> str:
    """The HTML of fragment `name` for the request's user: from the cache when nothing it shows was
    written since and its time has not run out, else `build()`, which returns the HTML (rendered by
    our templates, so escaped) and the moment it stops being true (the next session to start or end,
    the next midnight), kept for the next request."""
    if not settings.FRAGMENT_CACHE:
        return _safe(build()[0])
    now = timezone.now().timestamp()
    key = f"fragments:{name}:{request.user.pk}:{get_language()}"
    _forget_renewals()  # a write after this read in the same transaction renews the token again
    found = cache.get_many([TOKEN_KEY, key])
    token, entry = found.get(TOKEN_KEY), found.get(key)
    if token is not None and entry is not None and entry[0] == token and entry[1] <= now < entry[2]:
        return _safe(entry[3].replace(CSRF_PLACEHOLDER, get_token(request)))
    html, until = build()
    if token is None:
        token_renew()  # the next request caches (this one cannot know the token it was built under)
    else:
        kept = CSRF_VALUE.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", html)
        cache.set(key, (token, now, until.timestamp(), kept), SECONDS)
    return _safe(html)


def _safe(html: str) -> str:
    return mark_safe(html)  # noqa: S308 (rendered by our templates: the text in it is escaped)
