"""Saving the good rows of a checked member import, in bulk.

`importing.members_import` has already decided, from what it read in bulk, what each good row does
(new member, update, unchanged) under the same rules as `services.member_upsert`; this module writes
that: logins, members and the 党员 group for new members a thousand at a time, changed members and
their login names with bulk updates. If a chunk of new members collides with a member or login created
meanwhile by someone else, that chunk goes row by row through `services.member_upsert`, which sorts out
each row (an update, or a reason).
"""

import secrets
from collections import defaultdict
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people import services
from lms.people.import_report import ImportReport, KnownMember, RowAction, RowOutcome, chunked
from lms.people.models import Member

UPDATE_CHUNK = 500  # rows per bulk UPDATE (one CASE per field)
LOGIN_NAME_LENGTH = 150  # User.first_name


def _login_name(name: str) -> str:
    return name[:LOGIN_NAME_LENGTH]


def _unusable_password() -> str:
    """What `make_password(None)` stores (no usable password yet), many times faster."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def _members_create(outcomes: list[RowOutcome], group_id: int) -> None:
    """New members with their logins (username = phone, no usable password) and the 党员 group."""
    User = get_user_model()
    users = [
        User(username=o.phone, first_name=_login_name(o.name), password=_unusable_password())
        for o in outcomes
    ]
    User.objects.bulk_create(users)
    if any(user.pk is None for user in users):  # a database that cannot return the new ids
        stored = User.objects.filter(username__in=[user.username for user in users])
        ids = dict(stored.values_list("username", "pk"))
        for user in users:
            user.pk = ids[user.username]
    Member.objects.bulk_create(
        [
            Member(
                user_id=user.pk,
                phone=o.phone,
                name=o.name,
                branch=o.branch,
                category=o.category,
                is_migrant=o.is_migrant,
            )
            for user, o in zip(users, outcomes, strict=True)
        ]
    )
    Membership = User.groups.through
    Membership.objects.bulk_create([Membership(user_id=user.pk, group_id=group_id) for user in users])


def _row_write_one(outcome: RowOutcome, actor, report: ImportReport) -> str | None:
    """One row through the service, in its own savepoint; returns what it did, or None (reported)."""
    try:
        with transaction.atomic():
            before = (
                Member.objects.filter(phone=outcome.phone)
                .values_list("name", "branch_id", "category", "is_migrant")
                .first()
            )
            member, created = services.member_upsert(
                name=outcome.name,
                phone=outcome.phone,
                branch=outcome.branch,
                category=outcome.category,
                is_migrant=outcome.is_migrant,
                actor=actor,
            )
    except PermissionDenied as error:
        report.add_error(outcome.row, str(error), "forbidden")
        return None
    except ValidationError as error:
        report.add_error(outcome.row, " ".join(error.messages), "invalid")
        return None
    except IntegrityError as error:
        report.add_error(
            outcome.row, _("The row could not be saved (%(error)s).") % {"error": error}, "not_saved"
        )
        return None
    if created:
        return RowAction.NEW
    if before == (member.name, member.branch_id, member.category, member.is_migrant):
        return RowAction.UNCHANGED
    return RowAction.UPDATED


def _members_update(changed: list[RowOutcome], known: dict[str, KnownMember], *, now) -> None:
    """Changed members: one UPDATE per branch, category and migrant flag they move to (a handful per
    township), and a bulk update of the names for the few rows whose name changed."""
    by_values: dict[tuple, list[int]] = defaultdict(list)
    renamed = []
    for o in changed:
        member = known[o.phone]
        by_values[(o.branch.pk, o.category, o.is_migrant)].append(member.pk)
        if member.name != o.name:
            renamed.append(Member(pk=member.pk, name=o.name))
    for (branch_id, category, is_migrant), pks in by_values.items():
        for chunk in chunked(pks):
            Member.objects.filter(pk__in=chunk).update(
                branch_id=branch_id, category=category, is_migrant=is_migrant, updated_at=now
            )
    for chunk in chunked(renamed, UPDATE_CHUNK):
        Member.objects.bulk_update(chunk, ["name"])


def rows_write(report: ImportReport, known: dict[str, KnownMember], *, actor) -> None:
    """Write the report's good rows (inside the caller's transaction) and count what was done."""
    User = get_user_model()
    group_id = services.member_group().pk
    done: dict[int, str | None] = {}  # row → action, for rows that went through the service instead

    new = [o for o in report.rows if o.action == RowAction.NEW]
    for chunk in chunked(new):
        try:
            with transaction.atomic():
                _members_create(chunk, group_id)
        except IntegrityError:
            for outcome in chunk:
                done[outcome.row] = _row_write_one(outcome, actor, report)

    _members_update([o for o in report.rows if o.action == RowAction.UPDATED], known, now=timezone.now())
    existing = [o for o in report.rows if o.action != RowAction.NEW]
    renamed = [
        User(pk=known[o.phone].user_id, first_name=_login_name(o.name))
        for o in existing
        if known[o.phone].login_name != _login_name(o.name)
    ]
    for chunk in chunked(renamed, UPDATE_CHUNK):
        User.objects.bulk_update(chunk, ["first_name"])
    # Like member_upsert: every imported member is in the 党员 group, also those stored before.
    Membership = User.groups.through
    for chunk in chunked(existing):
        Membership.objects.bulk_create(
            [Membership(user_id=known[o.phone].user_id, group_id=group_id) for o in chunk],
            ignore_conflicts=True,
        )

    outcomes = []
    for outcome in report.rows:
        action = done.get(outcome.row, outcome.action)
        if action is not None:
            outcomes.append(outcome if action == outcome.action else replace(outcome, action=action))
    report.rows = outcomes
    report.created = sum(1 for o in outcomes if o.action == RowAction.NEW)
    report.updated = sum(1 for o in outcomes if o.action == RowAction.UPDATED)
    report.unchanged = sum(1 for o in outcomes if o.action == RowAction.UNCHANGED)
