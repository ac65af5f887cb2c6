"""Phone numbers enter as mainland mobile numbers everywhere (forms, import, API all call validate_phone)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from lms.people.services import validate_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0086-13912345678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),  # full-width digits from a Chinese keyboard
        ("(139) 1234.5678", "13912345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_mobile_numbers_are_normalised(typed, stored):
    assert validate_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12912345678",
        "1391234567",
        "139123456789",
        "0571-88888888",
        "8613912345678",
        "abc12",
        "",
        "139l2345678",
    ],
)
def test_other_numbers_are_refused_with_a_clear_message(typed):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validate_phone(typed)
    message = error.value.message_dict["phone"][0]
    assert "11 位数字" in message
    assert "13 至 19 开头" in message


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["123", "0571-88888888"])
def test_the_api_explains_a_bad_number_on_the_field(client, county, typed):
    from tests.people.test_api import auth, token_for

    response = client.post(
        "/api/v1/members",
        {"name": "某某", "phone": typed, "branch_id": county["branch_a"].id},
        content_type="application/json",
        **auth(token_for(client, "staff_a")),
    )
    assert response.status_code == 400
    assert "11 位数字" in response.json()["errors"]["phone"][0]


@pytest.mark.django_db
def test_the_admin_form_explains_a_bad_number(client, county):
    from django.urls import reverse

    client.force_login(county["staff_a"])
    response = client.post(
        reverse("people_members:add"),
        {"name": "某某", "phone": "1234567", "branch": county["branch_a"].pk, "category": "ordinary"},
    )
    assert response.status_code == 200
    assert "11 位数字" in response.context["form"].errors["phone"][0]
