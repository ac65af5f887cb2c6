"""Reads for the activation pages, slips and locked logins, scoped by the people selectors."""

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lms.accounts import throttle
from lms.people.models import Branch, Member
from lms.people.selectors import branches_for_user, is_org_dept, is_staff_user, members_for_user

LOCKED_SHOWN = 200  # a page of locked logins; more at once would be an attack to look at in the logs


def _member_count(**filters) -> Coalesce:
    counted = (
        Member.objects.filter(branch=OuterRef("pk"), user__is_active=True, **filters)
        .order_by()
        .values("branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def slip_branches_for_user(user) -> QuerySet[Branch]:
    """The branches `user` may print slips for, each with `member_count` and `not_activated_count`
    (members who never set a password), each counted in its own subquery."""
    if not is_staff_user(user):
        return Branch.objects.none()
    return (
        branches_for_user(user)
        .annotate(
            member_count=_member_count(),
            not_activated_count=_member_count(user__password__startswith=UNUSABLE_PASSWORD_PREFIX),
        )
        .order_by("township__path", "name")
    )


@dataclass(frozen=True)
class LockedLogin:
    username: str
    failures: int
    last_failure: datetime
    member: Member | None


def _recent_failures(since: datetime, key: str):
    return (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(**{f"{key}__isnull": True})
        .values(key)
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .order_by("-last_failure")
    )


def locked_logins_for_user(user) -> list[LockedLogin]:
    """Logins locked now (lms/accounts/throttle.py) that `user` may unlock: members of the townships
    they run; the organization department sees every login, a member's or not."""
    if not is_staff_user(user):
        return []
    since = timezone.now() - throttle.cool_off()
    rows = _recent_failures(since, "username").filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    if not is_org_dept(user):
        rows = rows.filter(username__in=members_for_user(user).values("user__username"))
    rows = list(rows[:LOCKED_SHOWN])
    members = {
        member.user.username: member
        for member in members_for_user(user).filter(user__username__in=[row["username"] for row in rows])
    }
    return [
        LockedLogin(row["username"], row["failures"], row["last_failure"], members.get(row["username"]))
        for row in rows
    ]


def locked_addresses_for_user(user) -> list[dict]:
    """Client addresses locked now, each with `ip_address`, `failures`, `last_failure`: for the
    organization department only (an address is shared by people of any township)."""
    if not is_org_dept(user):
        return []
    since = timezone.now() - throttle.cool_off()
    rows = _recent_failures(since, "ip_address").filter(failures__gte=settings.LOGIN_FAILURES_PER_ADDRESS)
    return list(rows[:LOCKED_SHOWN])
