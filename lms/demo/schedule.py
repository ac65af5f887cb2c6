"""When and what: the demo's class slots over the calendar, and the townships' annual teaching plans
they follow.

132 slots from a year before `today` to three months after it: 126 at the 11 township schools (township1
also has one today), 6 at the city school. A school holds one class a day (so its rooms and teaching
points are never booked twice) and a city class falls on a day no township holds one (its members come
from every township). Each slot says what becomes of its class: published (the past ones finish), a
draft, a draft that breaks 5+1+N, or cancelled; and which slots the demo logins need.
"""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from wagtail.models import Page

from courses.models import CitySchoolPage, TownshipSchoolPage
from lms.demo import content
from lms.demo.content import ClassTheme
from lms.scheduling import services
from lms.scheduling.models import AnnualPlan, PlannedClass

PAST_DAYS = 365
UPCOMING_DAYS = 91
CITY_SLOTS = (4, 2)  # past, upcoming
TWO_DAY_SHARE = 0.3

PUBLISHED, DRAFT, BROKEN, CANCELLED = "published", "draft", "broken", "cancelled"
# One per non-compliant draft, in the order the townships get them (township1's first).
DEFECTS = (
    "missing_oath",
    "no_teaching_point",
    "no_teacher",
    "missing_anthem",
    "site_visit_without_point",
    "missing_constitution",
)
THEMES_BY_TITLE = {theme.title: theme for theme in content.TOWNSHIP_CLASS_THEMES}


@dataclass
class Slot:
    """A class to be: where and when, what becomes of it, and what it needs to show in the demo."""

    school: Page
    town: int | None  # index into content.TOWNSHIPS; None for the city school
    day: date
    days: int = 1
    fate: str = PUBLISHED
    defect: str = ""
    everyone: bool = False  # open to ordinary members (member1's classes)
    teacher1: bool = False  # teacher1 teaches its first elective
    waitlist: bool = False  # enrol a few members more than it seats
    theme: ClassTheme | None = None
    planned: PlannedClass | None = None
    number: int = 0  # the "期" within its school and year

    @property
    def end(self) -> date:
        return self.day + timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[date]:
        return [self.day + timedelta(days=n) for n in range(self.days)]


# --- The calendar --------------------------------------------------------------------------------


def township_layout(index: int) -> tuple[int, int]:
    """(past, upcoming) classes of township `index`: 126 in all; township1 also has one today."""
    if index == 0:
        return 8, 3
    return 9, 3 if index <= 4 else 2


def spread(count: int, first: int, last: int, rng: random.Random) -> list[int]:
    """`count` day offsets spread evenly over first…last, each moved a few days at random."""
    width = (last - first + 1) / count
    return [min(last, max(first, first + int((k + 0.5) * width) + rng.randint(-4, 4))) for k in range(count)]


def weekday(day: date, step: int) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def slots_for_township(index: int, school: TownshipSchoolPage, rng: random.Random, today: date) -> list[Slot]:
    """Weekdays spread over the past year and the coming three months (two-day classes never run
    into a weekend or into today); township1 also has a class today."""
    past, upcoming = township_layout(index)
    slots = []
    for offset in spread(past, -PAST_DAYS, -2, rng):
        day = weekday(today + timedelta(days=offset), -1)
        two_days = rng.random() < TWO_DAY_SHARE and (today - day).days >= 2
        if two_days and day.weekday() == 4:
            day -= timedelta(days=1)
        slots.append(Slot(school, index, day, 2 if two_days else 1))
    if index == 0:
        # township1's latest past class was two days ago, so member1 still has it to evaluate.
        slots[-1] = Slot(school, index, weekday(today - timedelta(days=2), -1))
        slots.append(Slot(school, index, today))
    for offset in spread(upcoming, 1, UPCOMING_DAYS, rng):
        day = weekday(today + timedelta(days=offset), 1)
        slots.append(Slot(school, index, day, 2 if rng.random() < TWO_DAY_SHARE and day.weekday() < 4 else 1))
    return slots


def mark(index: int, slots: list[Slot]) -> None:
    """What becomes of township `index`'s classes, and which ones the demo logins need."""
    upcoming = slots[township_layout(index)[0] + (index == 0) :]
    if index == 0:  # member1 attends, teacher1 teaches: three past classes, today's, two upcoming
        for slot in [slots[1], slots[4], slots[6], slots[8], *upcoming[:2]]:  # slots[8] is today's
            slot.everyone = slot.teacher1 = True
        slots[7].everyone = True  # two days ago: member1's evaluation still open
    if index % 2 == 0:  # six townships (township1 first) have a draft that breaks 5+1+N
        upcoming[-1].fate, upcoming[-1].defect = BROKEN, DEFECTS[index // 2]
    elif index in (1, 3):  # a draft still being prepared, and a full class with a waiting list
        upcoming[-1].fate = DRAFT
        upcoming[0].waitlist = upcoming[0].everyone = True
    elif index == 5:  # one class cancelled in the past, two upcoming ones cancelled
        slots[4].fate = CANCELLED
    else:
        upcoming[0].fate = CANCELLED


def calendar(city: CitySchoolPage, townships: Sequence[TownshipSchoolPage], rng, today: date) -> list[Slot]:
    """Every slot, township1's first (so teacher1 is free for them), the city school's last."""
    slots = []
    for index, township in enumerate(townships):
        own = slots_for_township(index, township, rng, today)
        mark(index, own)
        slots += own
    taken = {day for slot in slots for day in slot.dates}
    past, upcoming = CITY_SLOTS
    wanted = [(offset, -PAST_DAYS, -1) for offset in spread(past, -PAST_DAYS, -1, rng)]
    wanted += [(offset, 1, UPCOMING_DAYS) for offset in spread(upcoming, 1, UPCOMING_DAYS, rng)]
    for number, (offset, first, last) in enumerate(wanted):
        nearby = sorted(range(first, last + 1), key=lambda other, offset=offset: (abs(other - offset), other))
        free = (today + timedelta(days=other) for other in nearby)
        day = next(day for day in free if day.weekday() < 5 and day not in taken)
        taken.add(day)
        theme = content.CITY_CLASS_THEMES[number % len(content.CITY_CLASS_THEMES)]
        slots.append(Slot(city, None, day, theme=theme, everyone=not theme.audience))
    return slots


# --- Annual plans --------------------------------------------------------------------------------


def theme_for_month(month: int, rng: random.Random, everyone: bool = False) -> ClassTheme:
    """A seasonal theme (winter training in winter…) more often than not, else one for any month."""
    themes = [theme for theme in content.TOWNSHIP_CLASS_THEMES if not (everyone and theme.audience)]
    seasonal = [theme for theme in themes if month in theme.months]
    anytime = [theme for theme in themes if not theme.months]
    return rng.choice(seasonal if seasonal and rng.random() < 0.6 else anytime)


def plan_create(school: TownshipSchoolPage, year: int, held: list[Slot], rng: random.Random) -> AnnualPlan:
    """8–12 planned classes: one for each class held that year, the rest in months without one."""
    count = min(12, max(rng.randint(8, 12), len(held)))
    held = held[:count]
    free_months = sorted(set(range(1, 13)) - {slot.day.month for slot in held})
    entries = [
        (slot.day.month, slot.day, theme_for_month(slot.day.month, rng, slot.everyone), slot) for slot in held
    ]
    for month in rng.sample(free_months, count - len(held)):
        entries.append((month, date(year, month, 1), theme_for_month(month, rng), None))
    entries.sort(key=lambda entry: entry[:2])
    plan = AnnualPlan(
        school=school,
        year=year,
        notes=content.PLAN_NOTES.format(school=school.title, year=year, count=count),
    )
    planned = [
        PlannedClass(
            title=theme.title,
            audience=theme.audience_text,
            month=month,
            planned_days=Decimal(slot.days if slot else 2 if theme.audience else 1),
            modules=list(theme.modules),
            sort_order=position,
        )
        for position, (month, _day, theme, slot) in enumerate(entries)
    ]
    plan.planned_classes = planned
    services.annual_plan_save(actor=None, plan=plan)
    for number, (planned_class, (_month, _day, theme, slot)) in enumerate(
        zip(planned, entries, strict=True), 1
    ):
        if slot is not None:
            slot.planned, slot.theme, slot.number = planned_class, theme, number
    return plan


def plan_link(plan: AnnualPlan, held: list[Slot]) -> None:
    """A plan someone wrote already: each class goes with an unclaimed planned class of its month."""
    planned = list(plan.planned_classes.order_by("month", "sort_order", "pk"))
    claimed = set()
    for slot in held:
        for number, planned_class in enumerate(planned, 1):
            if planned_class.month == slot.day.month and planned_class.pk not in claimed:
                claimed.add(planned_class.pk)
                slot.planned, slot.number = planned_class, number
                slot.theme = THEMES_BY_TITLE.get(planned_class.title)
                break


def plans_ensure(townships: Sequence[TownshipSchoolPage], slots: list[Slot], rng, today: date) -> None:
    """Each township's plan for last year and this year; classes of those years join their plan."""
    for index, township in enumerate(townships):
        for year in (today.year - 1, today.year):
            held = sorted((s for s in slots if s.town == index and s.day.year == year), key=lambda s: s.day)
            plan = AnnualPlan.objects.filter(school=township, year=year).first()
            if plan is None:
                plan_create(township, year, held, rng)
            else:
                plan_link(plan, held)


def themes_and_numbers(slots: list[Slot], rng: random.Random) -> None:
    """Themes for classes outside any plan, and running numbers after the planned ones."""
    last = defaultdict(int)
    for slot in slots:
        last[slot.school.pk, slot.day.year] = max(last[slot.school.pk, slot.day.year], slot.number)
    for slot in sorted(slots, key=lambda s: (s.school.path, s.day)):
        if slot.theme is None:
            slot.theme = theme_for_month(slot.day.month, rng, slot.everyone)
        if not slot.number:
            last[slot.school.pk, slot.day.year] += 1
            slot.number = last[slot.school.pk, slot.day.year]
