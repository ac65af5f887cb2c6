import pytest
import time_machine

from tests import clock, factories
from tests.db_template import django_db_setup, drop_templates, install_fast_flush, keeps_template  # noqa: F401 (overrides pytest-django's)

install_fast_flush()


def _refuse_redis_cache_clear() -> None:
    """`cache.clear()` on Redis is FLUSHDB of the database every test process and the servers they
    start share: another process's logins and cached fragments vanish under its test (CI saw a member
    page make one query more). A test deletes its own keys instead."""
    from django.core.cache.backends.redis import RedisCache

    def clear(self):
        raise AssertionError("cache.clear() would empty every test process's Redis: delete your keys")

    RedisCache.clear = clear


_refuse_redis_cache_clear()


def pytest_sessionstart(session):
    drop_templates(session.config, keep_current=True)


def pytest_sessionfinish(session):
    drop_templates(session.config, keep_current=keeps_template())


@pytest.fixture(params=list(clock.MOMENTS.values()), ids=list(clock.MOMENTS))
def moment(request):
    """Run the test at each of `clock.MOMENTS` (the autouse `frozen_clock` starts there)."""
    return request.param


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """Every test runs with the clock frozen at `clock.default_moment()` (or at its `moment`), ticking
    from there so asyncio, websockets and servers still see time pass. Request it to move the clock:
    `frozen_clock.shift(timedelta(minutes=5))`, `frozen_clock.move_to(...)`."""
    at = request.getfixturevalue("moment") if "moment" in request.fixturenames else clock.default_moment()
    with time_machine.travel(at, tick=True) as traveller:
        yield traveller


@pytest.fixture
def county(db):
    """A small network: a city school with two townships, their teaching points, branches, members."""
    city = factories.city_school()
    town_a = factories.township_school(city, "甲镇党校")
    town_b = factories.township_school(city, "乙镇党校")
    branch_a = factories.BranchFactory(township=town_a, name="甲村党支部")
    branch_b = factories.BranchFactory(township=town_b, name="乙村党支部")
    return {
        "city": city,
        "town_a": town_a,
        "town_b": town_b,
        "point_a": factories.teaching_point(town_a),
        "point_b": factories.teaching_point(town_b),
        "branch_a": branch_a,
        "branch_b": branch_b,
        "member_a": factories.MemberFactory(branch=branch_a),
        "member_b": factories.MemberFactory(branch=branch_b),
        "staff_a": factories.staff_user(town_a, "staff_a"),
        "staff_b": factories.staff_user(town_b, "staff_b"),
        "city_staff": factories.staff_user(city, "city_staff"),
        "org": factories.org_dept_user(),
    }


def ensure_wagtail_roots():
    """Wagtail's migrations create the default locale, the root page, the root collection and a site;
    a transactional test's flush deletes them, so later tests put them back."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page, Site

    locale, _ = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    if not Site.objects.exists():
        Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True)
    # Wagtail caches the sites' root paths: with Redis as the cache, an earlier test (or an earlier run)
    # may have left the ids of sites a flush has since deleted, and the admin home then fails.
    Site.clear_site_root_paths_cache()
    ensure_standard_form()


def ensure_standard_form():
    """The standard evaluation form comes from a data migration; put it back after a flush."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("lms.evaluation.migrations.0002_standard_form")
    migration.create_standard_form(apps, None)


@pytest.fixture(autouse=True)
def _wagtail_roots(request):
    # Tests marked django_db and tests reaching the database through a fixture (`county` asks for `db`):
    # after another test's flush in the same process, both need the roots back.
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is not None or "db" in names or "transactional_db" in names:
        transactional = (marker is not None and marker.kwargs.get("transaction", False)) or (
            "transactional_db" in names or "live_server" in names
        )
        request.getfixturevalue("transactional_db" if transactional else "db")
        ensure_wagtail_roots()
    yield
    factories.forget_roles()
