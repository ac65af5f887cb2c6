"""Reads about people, always scoped to what the asking user may see."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from courses.models import TownshipSchoolPage
from lms.people.models import Branch, Member, StaffScope, Teacher, TeacherReview
from lms.people.roles import ROLE_FLAGS, STAFF_ROLES, Role

User = AbstractBaseUser | AnonymousUser


def user_roles(user: User) -> set[Role]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lms_roles", None)
    if cached is None:
        flags = [(flag, role) for flag, role in ROLE_FLAGS.items() if hasattr(user, flag)]
        if len(flags) == len(ROLE_FLAGS):  # loaded with the user (lms.people.backends)
            cached = {role for flag, role in flags if getattr(user, flag)}
        else:
            names = set(user.groups.values_list("name", flat=True))
            cached = {role for role in Role if role.value in names}
        user._lms_roles = cached
    return cached


def user_has_role(user: User, role: Role) -> bool:
    return role in user_roles(user)


def is_org_dept(user: User) -> bool:
    """The organization department (and superusers) see and change everything."""
    return user.is_authenticated and (user.is_superuser or user_has_role(user, Role.ORG_DEPT))


def is_staff_user(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(user_roles(user) & set(STAFF_ROLES)))


def staff_scope_paths(user: User) -> list[str]:
    """Tree paths of the schools the user runs (a city school's path covers all its townships)."""
    if not user.is_authenticated:
        return []
    return list(StaffScope.objects.filter(user=user).values_list("school__path", flat=True))


def townships_managed_by(user: User) -> QuerySet[TownshipSchoolPage]:
    """Township schools whose people the user may see and change."""
    townships = TownshipSchoolPage.objects.all()
    if is_org_dept(user):
        return townships
    paths = staff_scope_paths(user) if is_staff_user(user) else []
    if not paths:
        return townships.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return townships.filter(condition)


def branches_for_user(user: User) -> QuerySet[Branch]:
    branches = Branch.objects.select_related("township")
    if is_org_dept(user):
        return branches
    return branches.filter(township__in=townships_managed_by(user))


def members_for_user(user: User) -> QuerySet[Member]:
    """Members the user may manage; a member without a staff role sees only themself."""
    members = Member.objects.select_related("user", "branch", "branch__township")
    if is_org_dept(user):
        return members
    if is_staff_user(user):
        return members.filter(branch__township__in=townships_managed_by(user))
    if user.is_authenticated:
        return members.filter(user=user)
    return members.none()


def teachers_for_user(user: User) -> QuerySet[Teacher]:
    """Staff see the whole pool (they book from it); a teacher sees their own entry."""
    teachers = Teacher.objects.select_related("user")
    if is_staff_user(user):
        return teachers
    if user.is_authenticated:
        return teachers.filter(user=user)
    return teachers.none()


def can_manage_branch(user: User, branch: Branch) -> bool:
    return branches_for_user(user).filter(pk=branch.pk).exists()


def can_manage_member(user: User, member: Member) -> bool:
    return is_staff_user(user) and members_for_user(user).filter(pk=member.pk).exists()


def can_manage_teachers(user: User) -> bool:
    return is_org_dept(user)


def member_profile(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    if loaded_with_user(user, "member"):
        return getattr(user, "member", None)  # loaded with the user (lms.people.backends)
    return Member.objects.select_related("branch", "branch__township").filter(user=user).first()


def teacher_profile(user: User) -> Teacher | None:
    if not user.is_authenticated:
        return None
    if loaded_with_user(user, "teacher"):
        return getattr(user, "teacher", None)  # loaded with the user (lms.people.backends)
    return Teacher.objects.filter(user=user).first()


def loaded_with_user(user, relation: str) -> bool:
    """Whether the user's reverse one-to-one `relation` was loaded with it (a None counts: no profile)."""
    return relation in user._state.fields_cache


def teachers_for_review(*, year: int) -> QuerySet[Teacher]:
    """The pool as the yearly review sees it: teachers in the pool that year or the year before,
    each with `reviews_that_year` (a list of at most one TeacherReview)."""
    return (
        Teacher.objects.in_pool_during(year - 1, year)
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=TeacherReview.objects.filter(year=year).select_related("decided_by"),
                to_attr="reviews_that_year",
            )
        )
        .order_by("category", "name", "id")
    )
