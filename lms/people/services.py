"""Writes about people. Views, API, admin, commands and the demo all come through here."""

import re
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.people.models import (
    Branch,
    Member,
    MemberCategory,
    StaffScope,
    Teacher,
    TeacherReview,
    TeacherReviewDecision,
)
from lms.people.roles import (
    ROLE_MODEL_PERMISSIONS,
    SCHOOL_COLLECTION_PERMISSIONS,
    SCHOOL_PAGE_PERMISSIONS,
    Role,
)
from lms.people.selectors import can_manage_branch, can_manage_member, is_org_dept

User = get_user_model()


# --- Roles and scopes ----------------------------------------------------------------------------


def _permissions(names) -> list[Permission]:
    """The permissions named by (app label, codename), in one query, in the order given."""
    names = list(dict.fromkeys(names))
    found = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in={app_label for app_label, _codename in names},
            codename__in={codename for _app_label, codename in names},
        )
    }
    missing = [name for name in names if name not in found]
    if missing:
        raise Permission.DoesNotExist(f"permissions not installed: {missing}")
    return [found[name] for name in names]


@transaction.atomic
def roles_ensure() -> dict[Role, Group]:
    """Create the role groups with their model permissions (idempotent)."""
    admin_access = ("wagtailadmin", "access_admin")
    wanted = {
        role: [(app_label, f"{action}_{model}") for app_label, model, actions in grants for action in actions]
        + ([admin_access] if role in (Role.TOWNSHIP_STAFF, Role.CITY_STAFF, Role.ORG_DEPT) else [])
        for role, grants in ROLE_MODEL_PERMISSIONS.items()
    }
    names = list(dict.fromkeys(name for role_names in wanted.values() for name in role_names))
    permissions = dict(zip(names, _permissions(names), strict=True))
    groups = {}
    for role, role_names in wanted.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([permissions[name] for name in role_names])
        groups[role] = group
    org_group = groups[Role.ORG_DEPT]
    root_page = Page.get_first_root_node()
    if root_page is not None:
        _grant_page_permissions(org_group, root_page)
    collection_permissions_grant(org_group, Collection.get_first_root_node())
    return groups


def school_group_name(school: Page) -> str:
    return f"{school.title} 工作人员"


# Both grants are idempotent: the tables' unique constraints (group, object, permission) turn a repeat
# into nothing, in one INSERT for all the permissions.
def _grant_page_permissions(group: Group, page: Page) -> None:
    GroupPagePermission.objects.bulk_create(
        [
            GroupPagePermission(group=group, page=page, permission=permission)
            for permission in _permissions(("wagtailcore", codename) for codename in SCHOOL_PAGE_PERMISSIONS)
        ],
        ignore_conflicts=True,
    )


def collection_permissions_grant(group: Group, collection: Collection) -> None:
    """The school staff's image and document permissions on `collection`."""
    GroupCollectionPermission.objects.bulk_create(
        [
            GroupCollectionPermission(group=group, collection=collection, permission=permission)
            for permission in _permissions(SCHOOL_COLLECTION_PERMISSIONS)
        ],
        ignore_conflicts=True,
    )


def school_collection_ensure(school: Page) -> Collection:
    """Each school keeps its photos and documents in its own collection."""
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=school.title).first()
    return existing or root.add_child(name=school.title)


@transaction.atomic
def school_staff_group_ensure(school: Page) -> Group:
    """The group holding page and collection permissions on one school's subtree."""
    school = school.specific
    if not isinstance(school, CitySchoolPage | TownshipSchoolPage):
        raise ValidationError(_("Staff can only be attached to a city or township school."))
    group, _created = Group.objects.get_or_create(name=school_group_name(school))
    _grant_page_permissions(group, school)
    collection_permissions_grant(group, school_collection_ensure(school))
    from lms.files.services import school_files_ensure  # files depends on people, not the reverse

    school_files_ensure(school)  # the collection restricted to its staff, and a public one
    return group


@transaction.atomic
def staff_scope_grant(*, user, school: Page) -> StaffScope:
    """Make `user` staff of `school`: role group, the school's page-permission group, the scope row."""
    school = school.specific
    groups = roles_ensure()
    role = Role.CITY_STAFF if isinstance(school, CitySchoolPage) else Role.TOWNSHIP_STAFF
    user.groups.add(groups[role], school_staff_group_ensure(school))
    scope, _created = StaffScope.objects.get_or_create(user=user, school=school)
    return scope


@transaction.atomic
def role_grant(*, user, role: Role) -> None:
    user.groups.add(roles_ensure()[role])


# --- Members -------------------------------------------------------------------------------------


PHONE_SEPARATORS = str.maketrans("", "", " \t-.()")
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(raw: str) -> str:
    """The phone as typed, without separators (spaces, dashes, dots, brackets) and without the
    country code (+86 or 0086); full-width digits become ASCII. Anything else is left for
    `validate_phone` to refuse."""
    phone = unicodedata.normalize("NFKC", str(raw or "")).strip().translate(PHONE_SEPARATORS)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            return phone[len(prefix) :]
    return phone


def validate_phone(phone: str) -> str:
    """A mainland mobile number (11 digits starting with 13–19), normalised; members log in with it
    and receive their activation codes by SMS, so landlines and foreign numbers are refused."""
    normalised = normalise_phone(phone)
    if not MAINLAND_MOBILE.fullmatch(normalised):
        raise ValidationError(
            {
                "phone": _(
                    "Phone number “%(phone)s” is not valid: a mainland mobile number has 11 digits and "
                    "starts with 13 to 19."
                )
                % {"phone": str(phone or "").strip() or normalised}
            }
        )
    return normalised


def member_group() -> Group:
    """The 党员 group (it carries no model permissions, so no need for the whole roles_ensure())."""
    group, _created = Group.objects.get_or_create(name=Role.MEMBER.value)
    return group


def member_upsert(
    *,
    name: str,
    phone: str,
    branch: Branch,
    category: str = MemberCategory.ORDINARY,
    is_migrant: bool = False,
    actor=None,
    must_be_new: bool = False,
) -> tuple[Member, bool]:
    """Create or update the member identified by phone. Returns (member, created).

    With `must_be_new` (an explicit "add member" in the admin or API) an existing phone is refused
    instead of updated, also when a concurrent request created it first.

    The phone is the natural key: members log in with it, and re-importing the same list updates
    instead of duplicating. With an `actor`, the actor must be allowed to manage the branch and, for an
    existing member, the member as they were. Two requests creating the same phone at once end with
    one member: the loser of the race retries as an update.
    """
    phone = validate_phone(phone)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name is required.")})
    if category not in MemberCategory.values:
        raise ValidationError({"category": _("Unknown member category “%(value)s”.") % {"value": category}})
    if actor is not None and not can_manage_branch(actor, branch):
        raise PermissionDenied(_("You may not manage members of branch “%(branch)s”.") % {"branch": branch})
    fields = {"name": name, "branch": branch, "category": category, "is_migrant": bool(is_migrant)}
    try:
        with transaction.atomic():
            return _member_write(phone=phone, fields=fields, actor=actor, must_be_new=must_be_new)
    except IntegrityError:
        if not Member.objects.filter(phone=phone).exists():
            raise
        with transaction.atomic():
            return _member_write(phone=phone, fields=fields, actor=actor, must_be_new=must_be_new)


def _member_write(*, phone: str, fields: dict, actor, must_be_new: bool) -> tuple[Member, bool]:
    member = Member.objects.select_for_update().select_related("user").filter(phone=phone).first()
    created = member is None
    if must_be_new and not created:
        raise ValidationError({"phone": _("A member with this phone number already exists.")})
    if created:
        if User.objects.filter(username=phone).exists():
            if Member.objects.filter(phone=phone).exists():
                # A concurrent request created this member after our first look (it committed in
                # between): member_upsert starts over, as an update.
                raise IntegrityError("member created concurrently")
            # Never take over an existing login (staff, teacher…) just because its name is a phone number.
            raise ValidationError(
                {
                    "phone": _("The login “%(username)s” already exists and is not this member’s.")
                    % {"username": phone}
                }
            )
        user = User(username=phone, first_name=fields["name"][:150])
        user.set_unusable_password()
        user.save()
        member = Member(user=user, phone=phone)
    elif actor is not None and not can_manage_member(actor, member):
        raise PermissionDenied(_("You may not manage member “%(name)s”.") % {"name": member.name})
    for field, value in fields.items():
        setattr(member, field, value)
    member.full_clean(exclude=["user"] if created else None)
    member.save()
    if member.user.first_name != fields["name"][:150]:
        member.user.first_name = fields["name"][:150]
        member.user.save(update_fields=["first_name"])
    member.user.groups.add(member_group())
    return member, created


# --- Teacher pool -------------------------------------------------------------------------------


@transaction.atomic
def teacher_review_record(
    *, teacher: Teacher, year: int, decision: str, note: str = "", actor=None
) -> TeacherReview:
    """Record the yearly pool review for one teacher and apply it to their active years.

    Recording a decision for a year that already has one is a correction: the effect of the earlier
    decision is undone first, then the new one applies. A retirement is undone by clearing
    `active_to` if it is still that year. An earlier "added" cannot be undone: it moved `active_from`
    (and cleared `active_to`) without keeping the previous values, so those stay as it left them.
    """
    if actor is not None and not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department reviews the teacher pool."))
    if decision not in TeacherReviewDecision.values:
        raise ValidationError({"decision": _("Unknown review decision “%(value)s”.") % {"value": decision}})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("Year %(year)s is out of range.") % {"year": year}})
    year = int(year)
    teacher = Teacher.objects.select_for_update().get(pk=teacher.pk)
    previous = (
        TeacherReview.objects.filter(teacher=teacher, year=year).values_list("decision", flat=True).first()
    )
    if previous == TeacherReviewDecision.RETIRED and teacher.active_to == year:
        teacher.active_to = None
    if decision == TeacherReviewDecision.ADDED:
        teacher.active_from = min(teacher.active_from, year) if teacher.active_to is None else year
        teacher.active_to = None
    elif decision == TeacherReviewDecision.RETIRED:
        if year < teacher.active_from:
            raise ValidationError(
                {
                    "year": _("A teacher cannot retire before joining the pool (%(year)s).")
                    % {"year": teacher.active_from}
                }
            )
        teacher.active_to = year
    else:
        if not teacher.is_active_in(year):
            raise ValidationError({"decision": _("Only a teacher in the pool that year can be kept.")})
    teacher.full_clean()
    teacher.save(update_fields=["active_from", "active_to"])
    review, _created = TeacherReview.objects.update_or_create(
        teacher=teacher, year=year, defaults={"decision": decision, "note": note, "decided_by": actor}
    )
    return review


@transaction.atomic
def teacher_add_to_pool(
    *,
    name: str,
    category: str,
    year: int,
    organisation: str = "",
    subjects: str = "",
    phone: str = "",
    note: str = "",
    actor=None,
) -> TeacherReview:
    """A new teacher joins the pool in the yearly review: the Teacher row and its 'added' review."""
    if actor is not None and not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department reviews the teacher pool."))
    if phone:
        phone = validate_phone(phone)
    teacher = Teacher(
        name=(name or "").strip(),
        category=category,
        organisation=organisation.strip(),
        subjects=subjects.strip(),
        phone=phone,
        active_from=year,
    )
    teacher.full_clean()
    teacher.save()
    return teacher_review_record(
        teacher=teacher, year=year, decision=TeacherReviewDecision.ADDED, note=note, actor=actor
    )
