"""Permission policies for the people admin.

Model permissions (what a role may do at all) come from the role groups in `roles.py`; which rows
a user may do it to comes from the selectors: township staff reach their own township's branches
and members, city-school staff every township under their city, the organization department all.
Wagtail asks the policy registered for a model (see `wagtail_hooks.py`), so every admin view and
action (index, edit, delete, inspect, copy, export, history, usage) gets the same answer.
"""

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

from courses.models import TownshipSchoolPage
from lms.people import selectors
from lms.people.models import Branch, Member
from lms.people.roles import Role


class TownshipScopedPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions, narrowed to the rows of the townships the user manages.

    `scoped_queryset(user)` returns the rows the user may manage (a selector);
    `township_of(instance)` names the township school a row belongs to.
    """

    def __init__(
        self,
        model: type[Model],
        *,
        scoped_queryset: Callable[..., QuerySet],
        township_of: Callable[[Model], TownshipSchoolPage | None],
    ):
        super().__init__(model)
        self.scoped_queryset = scoped_queryset
        self.township_of = township_of

    def instances_user_has_any_permission_for(self, user, actions: Iterable[str]) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scoped_queryset(user)

    def user_has_permission_for_instance(self, user, action: str, instance: Model) -> bool:
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions: Iterable[str], instance: Model) -> bool:
        if instance.pk is None or not self.user_has_any_permission(user, actions):
            return False
        return self.scoped_queryset(user).filter(pk=instance.pk).exists()

    def users_with_any_permission_for_instance(self, actions: Iterable[str], instance: Model) -> QuerySet:
        users = self.users_with_any_permission(actions)
        township = self.township_of(instance)
        in_scope = Q(is_superuser=True) | Q(groups__name=Role.ORG_DEPT.value)
        if township is not None:
            schools = Page.objects.ancestor_of(township, inclusive=True)
            # Only staff roles reach rows through a scope (see selectors.is_staff_user).
            staff_roles = [Role.TOWNSHIP_STAFF.value, Role.CITY_STAFF.value]
            in_scope |= Q(staff_scopes__school__in=schools) & Q(
                pk__in=get_user_model().objects.filter(groups__name__in=staff_roles).values("pk")
            )
        return users.filter(in_scope).distinct()


branch_permission_policy = TownshipScopedPermissionPolicy(
    Branch,
    scoped_queryset=selectors.branches_for_user,
    township_of=lambda branch: branch.township if branch.township_id else None,
)

member_permission_policy = TownshipScopedPermissionPolicy(
    Member,
    scoped_queryset=selectors.members_for_user,
    township_of=lambda member: member.branch.township if member.branch_id else None,
)
