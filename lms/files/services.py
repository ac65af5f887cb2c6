"""Writes that decide who may see a school's files.

Every school (the city school and each township school) has two collections:

- its **restricted** collection (named after the school, a child of the root), private by default:
  a view restriction lets in only the school's staff group, the staff groups of the schools above it
  (the city school over its townships) and the organization department;
- its **public** collection, "<school>（公开）" under "（公开资料）" (public materials), for what
  course and school pages show to anyone: no view restriction.

The school's staff group and the staff groups above it get the collection permissions (add, change,
choose) on both, so township staff upload, change and choose only their own school's files; the
organization department holds them on the root (people.services.roles_ensure).
"""

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import Collection, CollectionViewRestriction, Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.people.roles import Role
from lms.people.services import collection_permissions_grant, school_collection_ensure, school_group_name

# Collections are kept sorted by name, and the upload page preselects the first one offered: the
# full-width bracket sorts after every Chinese or Latin school name, so a school's restricted
# collection comes first and an upload stays private unless staff choose the public one.
PUBLIC_ROOT_NAME = "（公开资料）"
PUBLIC_SUFFIX = "（公开）"


def public_root_ensure() -> Collection:
    """The parent of every school's public collection."""
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=PUBLIC_ROOT_NAME).first()
    return existing or root.add_child(name=PUBLIC_ROOT_NAME)


def school_public_collection_ensure(school: Page) -> Collection:
    parent = public_root_ensure()
    name = f"{school.title}{PUBLIC_SUFFIX}"
    existing = parent.get_children().filter(name=name).first()
    return existing or parent.add_child(name=name)


def _staff_groups_over(school: Page) -> list[Group]:
    """The staff groups of the school and of the schools above it that have staff."""
    schools = list(school.get_ancestors(inclusive=True).type(CitySchoolPage, TownshipSchoolPage))
    names = [school_group_name(each) for each in schools]
    return list(Group.objects.filter(name__in=names))


@transaction.atomic
def school_files_ensure(school: Page) -> tuple[Collection, Collection]:
    """Restrict the school's own collection and give it a public one (idempotent).

    Returns (restricted, public). Called whenever a school gets staff; a city school also brings its
    townships' restrictions up to date, since its staff group is one of their readers."""
    school = school.specific
    restricted = school_collection_ensure(school)
    public = school_public_collection_ensure(school)
    staff_groups = _staff_groups_over(school)
    readers = staff_groups + list(Group.objects.filter(name=Role.ORG_DEPT.value))
    restriction = CollectionViewRestriction.objects.filter(collection=restricted).order_by(
        "pk"
    ).first() or CollectionViewRestriction(collection=restricted)
    restriction.restriction_type = CollectionViewRestriction.GROUPS
    restriction.password = ""
    restriction.save()
    restriction.groups.set(readers)
    CollectionViewRestriction.objects.filter(collection=restricted).exclude(pk=restriction.pk).delete()
    for group in staff_groups:
        collection_permissions_grant(group, restricted)
        collection_permissions_grant(group, public)
    if isinstance(school, CitySchoolPage):
        for township in TownshipSchoolPage.objects.descendant_of(school):
            if Group.objects.filter(name=school_group_name(township)).exists():
                school_files_ensure(township)
    return restricted, public


def schools_files_ensure() -> int:
    """Bring every school that has a staff group up to date (after a migrate, or by hand)."""
    count = 0
    for model in (CitySchoolPage, TownshipSchoolPage):
        for school in model.objects.all():
            if Group.objects.filter(name=school_group_name(school)).exists():
                school_files_ensure(school)
                count += 1
    return count
