"""member_upsert: the one door every member write goes through."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from lms.people.models import Member
from lms.people.roles import Role
from lms.people.services import member_upsert
from tests.concurrency import run_at_once
from tests.factories import UserFactory
from tests.services import need_postgres


@pytest.mark.django_db
def test_creates_then_updates_by_phone(county):
    member, created = member_upsert(name="李四", phone="+86 138-0000-1111", branch=county["branch_a"])
    assert created and member.phone == "13800001111"
    assert member.user.username == "13800001111"
    assert member.user.groups.filter(name=Role.MEMBER.value).exists()
    again, created = member_upsert(
        name="李四", phone="13800001111", branch=county["branch_a"], category="branch_secretary"
    )
    assert not created and again.pk == member.pk and again.category == "branch_secretary"
    assert Member.objects.filter(phone="13800001111").count() == 1


@pytest.mark.django_db
def test_refuses_to_take_over_an_existing_login(county):
    staff = UserFactory(username="13800002222")
    with pytest.raises(ValidationError) as error:
        member_upsert(name="王五", phone="13800002222", branch=county["branch_a"])
    assert "phone" in error.value.message_dict
    staff.refresh_from_db()
    assert not Member.objects.filter(user=staff).exists()


@pytest.mark.django_db
def test_actor_scope_is_enforced(county):
    with pytest.raises(PermissionDenied):
        member_upsert(name="赵六", phone="13800003333", branch=county["branch_b"], actor=county["staff_a"])
    with pytest.raises(PermissionDenied):
        member_upsert(
            name="改名", phone=county["member_b"].phone, branch=county["branch_a"], actor=county["staff_a"]
        )
    assert not Member.objects.filter(phone="13800003333").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("name", {"name": " "}), ("phone", {"phone": "12"}), ("category", {"category": "boss"})],
)
def test_bad_values_name_the_field(county, field, kwargs):
    values = {"name": "钱七", "phone": "13800004444", "branch": county["branch_a"], **kwargs}
    with pytest.raises(ValidationError) as error:
        member_upsert(**values)
    assert field in error.value.message_dict


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_phone_make_one_member(county):
    need_postgres()
    errors = run_at_once(
        12, lambda i: member_upsert(name=f"并发{i}", phone="13900009999", branch=county["branch_a"])
    )
    assert errors == []
    assert Member.objects.filter(phone="13900009999").count() == 1
    assert get_user_model().objects.filter(username="13900009999").count() == 1


@pytest.mark.django_db
def test_must_be_new_refuses_an_existing_phone(county):
    existing = county["member_a"]
    with pytest.raises(ValidationError) as error:
        member_upsert(name="另一人", phone=existing.phone, branch=county["branch_a"], must_be_new=True)
    assert "phone" in error.value.message_dict
    existing.refresh_from_db()
    assert existing.name != "另一人"
