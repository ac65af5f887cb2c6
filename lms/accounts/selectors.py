"""Reads for the activation pages and slips, scoped by the people selectors."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from lms.people.models import Branch, Member
from lms.people.selectors import branches_for_user, is_staff_user


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
