"""Each school's restricted and public collections, their readers and managers, for new schools and for
schools that existed before (the post-migrate pass)."""

import re

from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models.signals import post_migrate
from wagtail.models import Collection, CollectionViewRestriction, GroupCollectionPermission

from lms.files.services import PUBLIC_ROOT_NAME, PUBLIC_SUFFIX, school_files_ensure
from lms.people.roles import Role
from lms.people.services import school_group_name
from tests import factories


def reader_names(collection: Collection) -> set[str]:
    restrictions = list(CollectionViewRestriction.objects.filter(collection=collection))
    assert len(restrictions) == 1
    assert restrictions[0].restriction_type == CollectionViewRestriction.GROUPS
    return set(restrictions[0].groups.values_list("name", flat=True))


def manager_names(collection: Collection) -> set[str]:
    grants = GroupCollectionPermission.objects.filter(collection=collection, permission__codename="add_image")
    return set(grants.values_list("group__name", flat=True))


def test_new_township_gets_restricted_and_public_collections(county):
    town_a, city = county["town_a"], county["city"]
    restricted, public = school_files_ensure(town_a)
    assert restricted.get_parent().is_root() and restricted.name == town_a.title
    assert public.get_parent().name == PUBLIC_ROOT_NAME and public.name == town_a.title + PUBLIC_SUFFIX
    assert reader_names(restricted) == {
        school_group_name(town_a),
        school_group_name(city),
        Role.ORG_DEPT.value,
    }
    assert not public.get_view_restrictions().exists()
    staff_groups = {school_group_name(town_a), school_group_name(city)}
    assert manager_names(restricted) == staff_groups
    assert manager_names(public) == staff_groups
    assert school_group_name(county["town_b"]) not in manager_names(restricted) | reader_names(restricted)


def test_city_staff_granted_after_the_townships_become_readers(db):
    city = factories.city_school()
    town = factories.township_school(city, "丙镇党校")
    factories.staff_user(town)
    restricted = Collection.objects.get(name=town.title, depth=2)
    assert school_group_name(city) not in reader_names(restricted)
    factories.staff_user(city)
    assert school_group_name(city) in reader_names(restricted)
    assert school_group_name(city) in manager_names(restricted)


def test_townships_that_existed_before_are_restricted_on_migrate(county):
    """A database from before: school collections without restriction, no public collections."""
    CollectionViewRestriction.objects.all().delete()
    Collection.objects.get(name=PUBLIC_ROOT_NAME).delete()
    post_migrate.send(
        sender=apps.get_app_config("files"),
        app_config=apps.get_app_config("files"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    for town in (county["town_a"], county["town_b"]):
        restricted = Collection.objects.get(name=town.title, depth=2)
        assert school_group_name(town) in reader_names(restricted)
        assert Collection.objects.filter(name=town.title + PUBLIC_SUFFIX, depth=3).exists()
    # Idempotent: a second pass adds nothing.
    counts = (CollectionViewRestriction.objects.count(), GroupCollectionPermission.objects.count())
    school_files_ensure(county["town_a"])
    assert (CollectionViewRestriction.objects.count(), GroupCollectionPermission.objects.count()) == counts


def test_uploads_go_to_the_restricted_collection_unless_staff_choose(county, client):
    """The upload page preselects the first collection offered: the restricted one, also for a
    township added after the public collections existed."""
    town_c = factories.township_school(county["city"], "丁镇党校")
    staff_c = factories.staff_user(town_c)
    client.force_login(staff_c)
    for url in ("/admin/images/multiple/add/", "/admin/documents/multiple/add/"):
        page = client.get(url).content.decode()
        options = re.findall(r'<option value="(\d+)"', page)
        restricted = Collection.objects.get(name=town_c.title, depth=2)
        public = Collection.objects.get(name=town_c.title + PUBLIC_SUFFIX, depth=3)
        assert options == [str(restricted.pk), str(public.pk)], url


def test_org_dept_reads_every_restricted_collection(county):
    org_group = Group.objects.get(name=Role.ORG_DEPT.value)
    for town in (county["town_a"], county["town_b"]):
        restricted = Collection.objects.get(name=town.title, depth=2)
        assert org_group.name in reader_names(restricted)
