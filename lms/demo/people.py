"""The demo teacher pool, branches, members and fixed logins.

Natural keys make seeding repeatable: branches by (township, name), teachers and members by phone.
Phones come from the running number, so they are unique and the same whatever the random seed.
Members are written in bulk (users, members, MEMBER group rows), not one `member_upsert` each.
"""

import random
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.demo import content
from lms.people.models import Branch, BranchKind, Member, MemberCategory, Teacher
from lms.people.roles import Role
from lms.people.services import role_grant, roles_ensure, staff_scope_grant

User = get_user_model()
INSERT_BATCH = 2000
MEMBER_PHONE = "158{:08d}"  # 15800000001 is member1, 15800000002 migrant1, the rest are generated
TEACHER_PHONE = "137{:08d}"
TEACHER1_PHONE = TEACHER_PHONE.format(content.TEACHER_COUNTS["leading_cadre"] + 1)  # the first expert
FIXED_MEMBERS = 2
MIGRANT_SHARE = 0.05
SECRETARY_SHARE = 0.03
CADRE_SHARE = 0.08


def lookup_size() -> int:
    """Values per `__in` lookup: a batch, or fewer where the database limits parameters (SQLite: 999)."""
    limit = connection.features.max_query_params
    return INSERT_BATCH if limit is None else min(limit - 10, INSERT_BATCH)


def chunked(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def existing_values(queryset: QuerySet, field: str, values: Sequence[str]) -> dict[str, int]:
    """{value: pk} for the rows of `queryset` whose `field` is one of `values`."""
    found = {}
    for chunk in chunked(values, lookup_size()):
        found.update(queryset.filter(**{f"{field}__in": chunk}).values_list(field, "pk"))
    return found


def person_name(rng: random.Random) -> str:
    surnames = content.SURNAMES[:20] if rng.random() < 0.6 else content.SURNAMES
    given = "".join(rng.choice(content.GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    return rng.choice(surnames) + given


# --- Branches ------------------------------------------------------------------------------------


def branch_specs(index: int, town: content.Township) -> list[tuple[str, str]]:
    """7–10 branches: the villages, the communities, one or two departments, one enterprise branch."""
    specs = [(f"{village}村党支部", BranchKind.VILLAGE.value) for village in town.villages]
    specs += [(f"{community}社区党支部", BranchKind.COMMUNITY.value) for community in town.communities]
    departments = content.DEPARTMENT_BRANCHES[: 1 + index % 2]
    specs += [(f"{town.name}{department}党支部", BranchKind.DEPARTMENT.value) for department in departments]
    specs.append((content.ENTERPRISE_BRANCH.format(industry=town.industry), BranchKind.ENTERPRISE.value))
    return specs


def branches_ensure(townships: Sequence[TownshipSchoolPage]) -> list[Branch]:
    have = set(Branch.objects.filter(township__in=townships).values_list("township_id", "name"))
    missing = [
        Branch(township=township, name=name, kind=kind)
        for index, (township, town) in enumerate(zip(townships, content.TOWNSHIPS, strict=True))
        for name, kind in branch_specs(index, town)
        if (township.pk, name) not in have
    ]
    Branch.objects.bulk_create(missing, batch_size=INSERT_BATCH)
    return list(Branch.objects.filter(township__in=townships).order_by("township__path", "pk"))


# --- Teacher pool --------------------------------------------------------------------------------


def teacher_specs(rng: random.Random) -> list[Teacher]:
    teachers = []
    for category, count in content.TEACHER_COUNTS.items():
        for _ in range(count):
            town = rng.choice(content.TOWNSHIPS)
            post, post_subjects = rng.choice(content.TEACHER_POSTS[category])
            subjects = rng.sample(post_subjects, rng.randint(1, len(post_subjects)))
            teachers.append(
                Teacher(
                    name=person_name(rng),
                    category=category,
                    organisation=post.format(
                        town=town.name, village=rng.choice(town.villages), industry=town.industry
                    ),
                    subjects="，".join(subjects),
                    phone=TEACHER_PHONE.format(len(teachers) + 1),
                    active_from=rng.randint(*content.TEACHER_SINCE[category]),
                )
            )
    return teachers


def teachers_ensure(rng: random.Random) -> int:
    """The 263 pool teachers; returns how many were created."""
    teachers = teacher_specs(rng)
    have = existing_values(Teacher.objects.all(), "phone", [teacher.phone for teacher in teachers])
    missing = [teacher for teacher in teachers if teacher.phone not in have]
    Teacher.objects.bulk_create(missing, batch_size=INSERT_BATCH)
    return len(missing)


# --- Members -------------------------------------------------------------------------------------


class MemberSpec(NamedTuple):
    phone: str
    name: str
    branch: Branch
    category: str
    is_migrant: bool


def member_specs(count: int, branches: Sequence[Branch], rng: random.Random) -> list[MemberSpec]:
    """Generated members number FIXED_MEMBERS + 1 … count; the same prefix for any count."""
    specs = []
    for number in range(FIXED_MEMBERS + 1, count + 1):
        branch = rng.choice(branches)
        roll = rng.random()
        if roll < SECRETARY_SHARE:
            category = MemberCategory.BRANCH_SECRETARY.value
        elif roll < SECRETARY_SHARE + CADRE_SHARE and branch.kind == BranchKind.VILLAGE:
            category = MemberCategory.VILLAGE_CADRE.value
        else:
            category = MemberCategory.ORDINARY.value
        is_migrant = rng.random() < MIGRANT_SHARE
        specs.append(MemberSpec(MEMBER_PHONE.format(number), person_name(rng), branch, category, is_migrant))
    return specs


def members_bulk_ensure(specs: Sequence[MemberSpec], password: str, group: Group) -> int:
    """Users (username = phone), members and MEMBER group rows for the specs not there yet.

    Batch by batch, so only one batch of model instances is alive at a time and the time per member
    stays the same for 2,000 or 20,000 members.
    """
    return sum(members_batch_ensure(batch, password, group) for batch in chunked(specs, INSERT_BATCH))


def members_batch_ensure(specs: Sequence[MemberSpec], password: str, group: Group) -> int:
    have = existing_values(Member.objects.all(), "phone", [spec.phone for spec in specs])
    todo = [spec for spec in specs if spec.phone not in have]
    if not todo:
        return 0
    phones = [spec.phone for spec in todo]
    user_ids = existing_values(User.objects.all(), "username", phones)
    now = timezone.now()
    new_users = [
        User(username=spec.phone, first_name=spec.name, password=password, date_joined=now)
        for spec in todo
        if spec.phone not in user_ids
    ]
    if connection.features.can_return_rows_from_bulk_insert:
        User.objects.bulk_create(new_users, batch_size=INSERT_BATCH)  # sets the new users' pks
        user_ids.update((user.username, user.pk) for user in new_users)
    else:
        User.objects.bulk_create(new_users, batch_size=INSERT_BATCH, ignore_conflicts=True)
        user_ids = existing_values(User.objects.all(), "username", phones)
    Member.objects.bulk_create(
        [
            Member(
                user_id=user_ids[spec.phone],
                name=spec.name,
                phone=spec.phone,
                branch_id=spec.branch.pk,
                category=spec.category,
                is_migrant=spec.is_migrant,
            )
            for spec in todo
        ],
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    membership = User.groups.through
    membership.objects.bulk_create(
        [membership(user_id=user_id, group_id=group.pk) for user_id in user_ids.values()],
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    return len(todo)


def members_ensure(count: int, branches: Sequence[Branch], rng: random.Random, password: str) -> int:
    group = roles_ensure()[Role.MEMBER]
    return members_bulk_ensure(member_specs(count, branches, rng), password, group)


# --- Fixed demo logins ---------------------------------------------------------------------------


def login_ensure(username: str, first_name: str, password: str) -> User:
    """A login with the demo password (reset on every run, so the demo always lets you in)."""
    user, _created = User.objects.get_or_create(username=username)
    user.first_name = first_name
    user.password = password
    user.is_active = True
    user.save()
    return user


def fixed_member_ensure(username: str, number: int, branch: Branch, password: str, **fields) -> Member:
    name = content.LOGIN_NAMES[username]
    user = login_ensure(username, name, password)
    member, _created = Member.objects.update_or_create(
        phone=MEMBER_PHONE.format(number), defaults={"user": user, "name": name, "branch": branch, **fields}
    )
    role_grant(user=user, role=Role.MEMBER)
    return member


def logins_ensure(city: CitySchoolPage, townships: Sequence[TownshipSchoolPage], password: str) -> None:
    names = content.LOGIN_NAMES
    role_grant(user=login_ensure("orgdept", names["orgdept"], password), role=Role.ORG_DEPT)
    staff_scope_grant(user=login_ensure("cityschool", names["cityschool"], password), school=city)
    staff_scope_grant(user=login_ensure("township1", names["township1"], password), school=townships[0])

    teacher = Teacher.objects.get(phone=TEACHER1_PHONE)
    teacher_user = login_ensure("teacher1", teacher.name, password)
    if teacher.user_id != teacher_user.pk:
        teacher.user = teacher_user
        teacher.save(update_fields=["user"])
    role_grant(user=teacher_user, role=Role.TEACHER)

    first_branch = Branch.objects.get(township=townships[0], name=branch_specs(0, content.TOWNSHIPS[0])[0][0])
    fixed_member_ensure("member1", 1, first_branch, password, category=MemberCategory.ORDINARY)
    far_branch = Branch.objects.filter(township=townships[3]).order_by("pk").first()
    fixed_member_ensure(
        "migrant1", 2, far_branch, password, category=MemberCategory.ORDINARY, is_migrant=True
    )
