"""Factories for the school tree and people. Pages go into the tree with `parent.add_child`."""

import itertools
from contextlib import contextmanager
from unittest import mock

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Page

from courses.models import (
    CitySchoolPage,
    CourseIndexPage,
    CourseModule,
    CoursePage,
    TeachingPointCategory,
    TeachingPointPage,
    TownshipSchoolPage,
)
from lms.people import services as people_services
from lms.people.models import Branch, Member, MemberCategory, Teacher, TeacherCategory
from lms.people.roles import Role

User = get_user_model()
_seq = itertools.count(1)

# --- Role groups: synced once per test -----------------------------------------------------------
# Granting a role goes through `roles_ensure()`, which syncs every role group's permissions: about a
# hundred queries each time, ~1,500 of the 1,700 queries the `county` fixture used to make, and 50,000
# for 500 members. The factories grant through the services as before, but within one test they sync
# the groups once; `tests/conftest.py` forgets them after each test (a rollback or a flush removes them).
_roles: dict = {}


def forget_roles() -> None:
    _roles.clear()


@contextmanager
def _roles_synced_once():
    real = people_services.roles_ensure

    def once():
        if not _roles:
            _roles.update(real())
        return _roles

    with mock.patch.object(people_services, "roles_ensure", once):
        yield


def role_grant(*, user, role: Role) -> None:
    with _roles_synced_once():
        people_services.role_grant(user=user, role=role)


def staff_scope_grant(*, user, school: Page):
    with _roles_synced_once():
        return people_services.staff_scope_grant(user=user, school=school)


def _add(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _add_place(parent: Page, page: Page) -> Page:
    """A school or teaching point, live as if published, without a revision: publishing (revision,
    log entry, reference index) was half of the `county` fixture's second, paid by ~470 tests. A test
    that edits the page and publishes it gets its first revision then."""
    page.first_published_at = page.last_published_at = timezone.now()
    parent.add_child(instance=page)
    return page


def city_school(title: str = "测试市委党校") -> CitySchoolPage:
    root = Page.get_first_root_node()
    return _add_place(root, CitySchoolPage(title=title, slug=f"city-{next(_seq)}", address="市中心路1号"))


def township_school(city: CitySchoolPage, title: str | None = None) -> TownshipSchoolPage:
    n = next(_seq)
    return _add_place(city, TownshipSchoolPage(title=title or f"第{n}镇党校", slug=f"town-{n}"))


def teaching_point(
    township: TownshipSchoolPage, category: str = TeachingPointCategory.PARTY_SPIRIT, title: str | None = None
) -> TeachingPointPage:
    n = next(_seq)
    return _add_place(
        township, TeachingPointPage(title=title or f"教学点{n}", slug=f"point-{n}", category=category)
    )


def course_index(school: Page) -> CourseIndexPage:
    return _add(school, CourseIndexPage(title="课程目录", slug=f"courses-{next(_seq)}"))


def course(index: CourseIndexPage, title: str = "学习党章", module: str = CourseModule.GENERAL) -> CoursePage:
    return _add(index, CoursePage(title=title, slug=f"course-{next(_seq)}", module=module, summary=title))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"第{n}村党支部")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.SelfAttribute("user.first_name")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    category = MemberCategory.ORDINARY

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            role_grant(user=obj.user, role=Role.MEMBER)


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    name = factory.Sequence(lambda n: f"教师{n}")
    category = TeacherCategory.EXPERT
    active_from = 2020


def staff_user(school: Page, username: str | None = None) -> User:
    user = UserFactory(username=username or f"staff{next(_seq)}")
    staff_scope_grant(user=user, school=school)
    return user


def org_dept_user(username: str = "org") -> User:
    user = UserFactory(username=username)
    role_grant(user=user, role=Role.ORG_DEPT)
    return user


# --- Scheduling ----------------------------------------------------------------------------------


def class_sessions(day, *, teacher, point, hour: int = 8, kinds=None) -> list:
    """The 5+1+N timetable of one day from `hour` on: one hour per item, teacher on taught items,
    the site visit at `point`."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from lms.scheduling.models import TAUGHT_KINDS, Session, SessionKind

    kinds = kinds or [kind for kind in SessionKind if kind not in (SessionKind.ELECTIVE, SessionKind.EXAM)]
    start = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone()) + timedelta(
        hours=hour
    )
    sessions = []
    for position, kind in enumerate(kinds):
        sessions.append(
            Session(
                kind=kind,
                starts_at=start + timedelta(hours=position),
                ends_at=start + timedelta(hours=position + 1),
                teacher=teacher if kind in TAUGHT_KINDS else None,
                teaching_point=point if kind == SessionKind.SITE_VISIT else None,
            )
        )
    return sessions


def training_class(school, day, *, teacher, point, actor=None, publish=False, hour: int = 8, **fields):
    """A compliant one-day class saved through the service (a draft unless `publish`)."""
    from lms.scheduling import services

    fields.setdefault("title", f"培训班{next(_seq)}")
    fields.setdefault("venue", f"教室{next(_seq)}")
    created = services.training_class_create(
        actor=actor,
        school=school,
        start_date=day,
        sessions=class_sessions(day, teacher=teacher, point=point, hour=hour),
        **fields,
    )
    if publish:
        created = services.training_class_publish(actor=actor, training_class=created)
    return created
