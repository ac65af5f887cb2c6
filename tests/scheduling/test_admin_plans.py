"""Annual teaching plans in the admin: written with their planned classes, saved through the service,
scoped per township, and compared month by month with the classes held."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.scheduling import services
from lms.scheduling.models import AnnualPlan, PlannedClass
from tests import factories

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


def planned_row(title, month, days="1", **fields):
    return {"id": "", "title": title, "month": str(month), "planned_days": days, "audience": "", **fields}


def plan_post(school, year, rows, modules=None):
    data = nested_form_data(
        {"school": school.pk, "year": str(year), "notes": "", "planned_classes": inline_formset(rows)}
    )
    for index, chosen in (modules or {}).items():
        data[f"planned_classes-{index}-modules"] = chosen
    return data


def test_staff_write_a_plan_with_its_planned_classes(client, county):
    client.force_login(county["staff_a"])
    rows = [planned_row("春季党员轮训", 3, "2"), planned_row("秋季村干部培训", 9)]
    response = client.post(
        reverse("scheduling_plans:add"),
        plan_post(county["town_a"], LAST_YEAR, rows, modules={0: ["general", "thematic"]}),
    )
    assert response.status_code == 302, response.context["form"].errors
    plan = AnnualPlan.objects.get()
    assert (plan.school_id, plan.year) == (county["town_a"].pk, LAST_YEAR)
    planned = list(plan.planned_classes.order_by("sort_order"))
    assert [(p.title, p.month, p.planned_days) for p in planned] == [
        ("春季党员轮训", 3, Decimal("2")),
        ("秋季村干部培训", 9, Decimal("1")),
    ]
    assert planned[0].modules == ["general", "thematic"] and planned[1].modules == []
    # The edit form shows the modules as ticked boxes.
    form = client.get(reverse("scheduling_plans:edit", args=[plan.pk])).context["form"]
    assert form.formsets["planned_classes"].forms[0].initial["modules"] == ["general", "thematic"]
    # A second plan for the same school and year is refused.
    response = client.post(reverse("scheduling_plans:add"), plan_post(county["town_a"], LAST_YEAR, []))
    assert response.status_code == 200
    assert AnnualPlan.objects.count() == 1


def test_a_foreign_school_is_not_a_choice(client, county):
    client.force_login(county["staff_a"])
    response = client.post(reverse("scheduling_plans:add"), plan_post(county["town_b"], LAST_YEAR, []))
    assert response.status_code == 200
    assert "school" in response.context["form"].errors
    assert not AnnualPlan.objects.exists()


def make_plan(county, school="town_a"):
    plan = AnnualPlan(school=county[school], year=LAST_YEAR)
    plan.planned_classes = [
        PlannedClass(title="一月班", month=1, planned_days=Decimal("1")),
        PlannedClass(title="三月班", month=3, planned_days=Decimal("2")),
        PlannedClass(title="三月第二班", month=3, planned_days=Decimal("1")),
    ]
    return services.annual_plan_save(actor=None, plan=plan)


def test_planned_vs_held_by_month(client, county):
    plan = make_plan(county)
    teacher = factories.TeacherFactory()
    point = county["point_a"]
    factories.training_class(
        county["town_a"], date(LAST_YEAR, 3, 2), teacher=teacher, point=point, publish=True
    )
    factories.training_class(
        county["town_a"], date(LAST_YEAR, 5, 4), teacher=teacher, point=point, publish=True
    )
    factories.training_class(county["town_a"], date(LAST_YEAR, 6, 1), teacher=teacher, point=point)  # a draft
    client.force_login(county["staff_a"])
    response = client.get(reverse("scheduling_plans:plan_vs_held", args=[plan.pk]))
    assert response.status_code == 200
    rows = {row["month"]: row for row in response.context["rows"]}
    assert (rows[1]["planned"], rows[1]["held"]) == (1, 0)
    assert (rows[3]["planned"], rows[3]["held"]) == (2, 1)
    assert (rows[5]["planned"], rows[5]["held"]) == (0, 1)
    assert rows[6]["held"] == 0
    totals = response.context["totals"]
    assert (totals["planned"], totals["planned_days"], totals["held"]) == (3, Decimal("4"), 2)
    page = response.content.decode()
    assert "三月第二班" in page


def test_plans_are_scoped(client, county):
    own = make_plan(county)
    foreign = make_plan(county, school="town_b")
    client.force_login(county["staff_a"])
    response = client.get(reverse("scheduling_plans:index"))
    assert {plan.pk for plan in response.context["object_list"]} == {own.pk}
    for name in ("edit", "plan_vs_held", "delete"):
        assert client.get(reverse(f"scheduling_plans:{name}", args=[foreign.pk])).status_code == 404
    client.force_login(county["city_staff"])
    assert client.get(reverse("scheduling_plans:plan_vs_held", args=[foreign.pk])).status_code == 200
