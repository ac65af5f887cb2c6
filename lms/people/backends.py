"""The sign-in backend: Django's ModelBackend, except that the user of each request comes with their
member profile (branch and township) and teacher profile in the same query.

Every member page asks `member_profile(user)` and most ask `teacher_profile(user)`; loading both with
the user turns three queries per request into one (`selectors.member_profile` uses what is loaded).

Building that query and five model instances cost about 2 ms of CPU on every logged-in request, most
of what a logged-in page pays before doing anything (issue 13). So the loaded user is kept in the
cache, under a key made of the row versions (PostgreSQL's `xmin`) of the six rows it was built from:
the user, the member, the branch, the township school (its own row and its page row) and the teacher.
Each request asks PostgreSQL for those versions in one small hand-written query (no ORM to compile,
no objects to build); any change to any of the rows, by `save()`, `update()`, an import or by hand,
gives a new version and so a new key: a deactivated user, a changed password (the session hash) or
a new branch is seen on the very next request, as before. A member or teacher profile created or
deleted changes the key too (a version where there was none). Inside a transaction (tests, a request
that changes the user and reads it again) the versions may not change between two writes, so there
the user is always loaded from the database. Without PostgreSQL, or with the cache down, it is too.
"""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import DatabaseError, connections, router

# What `member_profile` and `teacher_profile` need, joined to the user (reverse one-to-ones: a user
# without a member or teacher profile gets None cached, so asking again costs no query).
PROFILE_RELATIONS = ("member__branch__township", "teacher")
CACHE_SECONDS = 24 * 3600  # old versions' entries fall out after a day
KEY_PREFIX = "profile-user"


def _versions_sql() -> str:
    """SELECT the xmin of every row `PROFILE_RELATIONS` loads, for one user id (table and column
    names from the models, so a renamed table cannot silently drop a row from the key)."""
    from lms.people.models import Member, Teacher

    User = get_user_model()
    branch_field = Member._meta.get_field("branch")
    Branch = branch_field.related_model
    township_field = Branch._meta.get_field("township")
    Township = township_field.related_model
    member_user = Member._meta.get_field("user").column
    teacher_user = Teacher._meta.get_field("user").column
    user_pk, branch_pk, township_pk = User._meta.pk.column, Branch._meta.pk.column, Township._meta.pk.column
    joins = [
        f'LEFT JOIN "{Member._meta.db_table}" m ON m."{member_user}" = u."{user_pk}"',
        f'LEFT JOIN "{Branch._meta.db_table}" b ON b."{branch_pk}" = m."{branch_field.column}"',
        f'LEFT JOIN "{Township._meta.db_table}" t ON t."{township_pk}" = b."{township_field.column}"',
    ]
    versions = ["u.xmin", "m.xmin", "b.xmin", "t.xmin"]
    # The township school is a Wagtail page: its fields live in its own table and in its parents'
    # (multi-table inheritance: every parent row has the same primary key value).
    for n, parent in enumerate(Township._meta.get_parent_list()):
        joins.append(
            f'LEFT JOIN "{parent._meta.db_table}" p{n} '
            f'ON p{n}."{parent._meta.pk.column}" = b."{township_field.column}"'
        )
        versions.append(f"p{n}.xmin")
    joins.append(f'LEFT JOIN "{Teacher._meta.db_table}" tr ON tr."{teacher_user}" = u."{user_pk}"')
    versions.append("tr.xmin")
    columns = ", ".join(f"{v}::text" for v in versions)
    # Names from the models' own metadata only; the user id is a bound parameter.
    return f'SELECT {columns} FROM "{User._meta.db_table}" u {" ".join(joins)} WHERE u."{user_pk}" = %s'  # noqa: S608


class ProfileBackend(ModelBackend):
    _sql: str | None = None

    def get_user(self, user_id):
        user, key = self._cached_user(user_id)
        if user is None:
            users = get_user_model()._default_manager.select_related(*PROFILE_RELATIONS)
            user = users.filter(pk=user_id).first()
            if user is not None and key is not None:
                cache.set(key, user, CACHE_SECONDS)
        return user if user is not None and self.user_can_authenticate(user) else None

    @classmethod
    def _cached_user(cls, user_id):
        """(the cached user for the rows' current versions or None, the key to store it under or
        None where it cannot be cached)."""
        connection = connections[router.db_for_read(get_user_model())]
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return None, None
        if cls._sql is None:
            cls._sql = _versions_sql()
        try:
            with connection.cursor() as cursor:
                cursor.execute(cls._sql, [int(user_id)])
                row = cursor.fetchone()
        except (DatabaseError, TypeError, ValueError):
            return None, None
        if row is None:  # no such user
            return None, None
        digest = hashlib.blake2b("|".join(v or "-" for v in row).encode(), digest_size=12).hexdigest()
        key = f"{KEY_PREFIX}:{int(user_id)}:{digest}"
        return cache.get(key), key
