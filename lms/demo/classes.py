"""The demo county's training classes and their enrolments, on the slots of `lms.demo.schedule`.

Most classes are published and compliant (the past ones finished), one is in progress today, six drafts
break 5+1+N (for the organization department's compliance view), two drafts are compliant and three
classes are cancelled. Everything goes through `lms.scheduling.services`, so the 5+1+N rules and the
double-booking checks hold for the demo too: the slots keep schools apart, a teacher teaches one session
a day, and should the service still refuse a booking, other teachers are tried.

The calendar is written once. Classes are dated from the day of the first run, so natural keys would
differ on a later day: when the demo schools hold any class already, this phase adds nothing.
"""

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.models import CitySchoolPage, CoursePage, TeachingPointPage, TownshipSchoolPage
from lms.demo import content, people, schedule
from lms.demo.schedule import CANCELLED, PUBLISHED, Slot
from lms.people.models import Member, Teacher
from lms.scheduling import services
from lms.scheduling.models import Delivery, Enrollment, Session, SessionKind, TrainingClass

User = get_user_model()
WAITLISTED_EXTRA = 6
BOOKING_ATTEMPTS = 3
FIXED_PHONES = frozenset(people.MEMBER_PHONE.format(n) for n in range(1, people.FIXED_MEMBERS + 1))


@dataclass
class ClassesResult:
    created: int = 0
    enrolled: int = 0
    skipped: int = 0


# --- Teachers and timetables ---------------------------------------------------------------------


class TeacherBook:
    """The pool by category, and the days each teacher already teaches (one session a day each)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.by_category: dict[str, list[Teacher]] = defaultdict(list)
        for teacher in Teacher.objects.order_by("pk"):
            self.by_category[teacher.category].append(teacher)
        self.teacher1 = Teacher.objects.filter(phone=people.TEACHER1_PHONE).first()
        self.busy: set[tuple[int, date]] = set()

    def free(self, teacher: Teacher, day: date, avoid: set[int]) -> bool:
        return (
            teacher.pk not in avoid and (teacher.pk, day) not in self.busy and teacher.is_active_in(day.year)
        )

    def book(self, teacher: Teacher, day: date) -> Teacher:
        self.busy.add((teacher.pk, day))
        return teacher

    def pick(
        self,
        categories: Sequence[str],
        day: date,
        avoid: set[int],
        prefer: Callable[[Teacher], bool] | None = None,
    ) -> Teacher:
        free = [t for c in categories for t in self.by_category[c] if self.free(t, day, avoid)]
        if not free:  # every teacher of those categories is busy: anyone in the pool
            free = [t for ts in self.by_category.values() for t in ts if self.free(t, day, avoid)]
        preferred = [t for t in free if prefer(t)] if prefer else []
        return self.book(self.rng.choice(preferred or free), day)


def is_local(town: content.Township) -> Callable[[Teacher], bool]:
    names = (town.name, town.industry, *(f"{village}村" for village in town.villages))
    return lambda teacher: any(name in teacher.organisation for name in names)


@dataclass
class Resources:
    """What the timetables draw on, looked up once."""

    book: TeacherBook
    points: dict[int, list[TeachingPointPage]]
    courses: dict[int, list[CoursePage]]
    members: dict[int | None, list[Member]]  # by township index; None: the whole county

    @classmethod
    def load(cls, city, townships: Sequence[TownshipSchoolPage], rng: random.Random) -> "Resources":
        points = {
            i: list(TeachingPointPage.objects.child_of(t).live().order_by("path"))
            for i, t in enumerate(townships)
        }
        courses = {
            school.pk: list(CoursePage.objects.descendant_of(school).live().order_by("path"))
            for school in (city, *townships)
        }
        index_of = {township.pk: index for index, township in enumerate(townships)}
        members = defaultdict(list)
        for member in Member.objects.select_related("branch").order_by("pk"):
            members[None].append(member)
            if member.branch.township_id in index_of:
                members[index_of[member.branch.township_id]].append(member)
        return cls(TeacherBook(rng), points, courses, members)


def _at(day: date, clock: tuple[int, int]) -> datetime:
    return datetime.combine(day, time(*clock), tzinfo=timezone.get_current_timezone())


def _session(kind, day: date, start: tuple[int, int], end: tuple[int, int], **fields) -> Session:
    return Session(kind=kind, starts_at=_at(day, start), ends_at=_at(day, end), **fields)


def sessions_for(slot: Slot, res: Resources, rng: random.Random, avoid: set[int]) -> list[Session]:
    """The 5 mandatory items and the leader's lecture on the first morning, the site visit, 1–3
    electives; a two-day class visits the teaching point on its second morning."""
    city = slot.town is None
    town_index = rng.randrange(len(content.TOWNSHIPS)) if city else slot.town
    town = content.TOWNSHIPS[town_index]
    first, last = slot.day, slot.end
    sessions = [
        _session(kind, first, (start.hour, start.minute), (end.hour, end.minute))
        for kind, start, end in services.SKELETON_DAY[:5]
    ]
    lecture = sessions[-1]
    lecturer_is_near = (
        (lambda t: t.organisation.startswith("市"))
        if city
        else (lambda t: t.organisation.startswith(town.name))
    )
    lecture.teacher = res.book.pick(("leading_cadre",), first, avoid, lecturer_is_near)
    lecture.title = rng.choice(content.LECTURE_TITLES)
    lecture.delivery = Delivery.HYBRID if city else Delivery.IN_PERSON

    point = rng.choice(res.points[town_index])
    visit_day, visit_times = (last, ((8, 30), (11, 30))) if slot.days == 2 else (first, ((14, 0), (15, 30)))
    sessions.append(
        _session(
            SessionKind.SITE_VISIT,
            visit_day,
            *visit_times,
            title=content.SITE_VISIT_TITLE.format(point=point.title),
            teaching_point=point,
            teacher=res.book.pick(("exemplar", "leading_cadre"), visit_day, avoid, is_local(town)),
        )
    )
    if slot.days == 2:
        times = [(first, (14, 30), (16, 0)), (last, (14, 30), (16, 30)), (first, (16, 10), (17, 30))]
        count = rng.randint(2, 3)
    else:
        times = [(first, (15, 40), (16, 40)), (first, (16, 50), (17, 50))]
        count = rng.randint(1, 2)
    courses = rng.sample(res.courses[slot.school.pk], min(count, len(res.courses[slot.school.pk])))
    topics = rng.sample(content.ELECTIVE_TOPICS, count)
    for position, (day, start, end) in enumerate(times[:count]):
        course = courses.pop() if courses and rng.random() < 0.6 else None
        title, categories = (
            (course.title, content.MODULE_TEACHERS[course.module]) if course else topics[position]
        )
        teacher1 = res.book.teacher1
        if slot.teacher1 and position == 0 and teacher1 and res.book.free(teacher1, day, avoid):
            teacher = res.book.book(teacher1, day)
        else:
            teacher = res.book.pick(categories, day, avoid)
        delivery = (Delivery.LIVE if position % 2 else Delivery.HYBRID) if city else Delivery.IN_PERSON
        sessions.append(
            _session(
                SessionKind.ELECTIVE,
                day,
                start,
                end,
                title=title,
                course=course,
                teacher=teacher,
                delivery=delivery,
            )
        )
    sessions.sort(key=lambda session: session.starts_at)
    return break_rule(sessions, slot.defect) if slot.defect else sessions


def break_rule(sessions: list[Session], defect: str) -> list[Session]:
    """A draft that fails 5+1+N in one way, as staff leave them half done."""
    if defect.startswith("missing_"):
        return [session for session in sessions if session.kind != defect.removeprefix("missing_")]
    for session in sessions:
        if session.kind == SessionKind.SITE_VISIT and defect in (
            "no_teaching_point",
            "site_visit_without_point",
        ):
            session.teaching_point = None
            session.title = content.BROKEN_TITLES[defect]
            if defect == "no_teaching_point":
                session.kind = SessionKind.ELECTIVE
        if session.kind == SessionKind.LEADER_LECTURE and defect == "no_teacher":
            session.teacher = None
            session.title = content.BROKEN_TITLES[defect]
    return sessions


# --- Classes -------------------------------------------------------------------------------------


def class_fields(slot: Slot, sessions: list[Session], rng: random.Random, today: date) -> dict:
    theme = slot.theme
    city = slot.town is None
    point = next((s.teaching_point for s in sessions if s.teaching_point), None)
    electives = [s.title for s in sessions if s.kind == SessionKind.ELECTIVE][:2]
    description = content.CLASS_DESCRIPTION.format(
        audience=theme.audience_text,
        point=point.title if point else "基层教学点",
        electives="、".join(f"“{title}”" for title in electives),
    ) + (content.CITY_DESCRIPTION_SUFFIX if city else "")
    if city:
        capacity = rng.choice(range(100, 121, 10))
    elif slot.waitlist:
        capacity = 40
    else:
        capacity = rng.choice(range(40, 61, 10) if theme.audience else range(50, 121, 10))
    return {
        "title": content.CLASS_TITLE.format(year=slot.day.year, number=slot.number, theme=theme.title),
        "description": description,
        "venue": content.CITY_ROOMS[0] if city else rng.choice(content.TOWNSHIP_ROOMS),
        "capacity": capacity,
        "audience_categories": list(theme.audience),
        "self_enrolment": slot.day > today and slot.everyone,
        "planned_class": slot.planned,
    }


def class_create(slot: Slot, res: Resources, rng: random.Random, today: date, actor) -> TrainingClass | None:
    """The class as a draft; a refused booking is tried again with other teachers, then given up."""
    avoid: set[int] = set()
    for _attempt in range(BOOKING_ATTEMPTS):
        sessions = sessions_for(slot, res, rng, avoid)
        try:
            return services.training_class_create(
                actor=actor,
                school=slot.school,
                start_date=slot.day,
                end_date=slot.end,
                sessions=sessions,
                **class_fields(slot, sessions, rng, today),
            )
        except ValidationError:
            avoid |= {session.teacher_id for session in sessions if session.teacher_id}
    return None


def members_enrol(slot: Slot, training_class: TrainingClass, res: Resources, rng, today: date, actor) -> int:
    """Members of the class's township (the county's, for the city school) meant by its audience: a
    past class nearly full, an upcoming one half full, a waiting-list class a few over. The demo
    logins come first in their township's classes; city classes they may still join themselves."""
    audience = slot.theme.audience
    eligible = [m for m in res.members[slot.town] if not audience or m.category in audience]
    fixed = [m for m in eligible if m.phone in FIXED_PHONES] if slot.town is not None else []
    others = [m for m in eligible if m.phone not in FIXED_PHONES]
    capacity = training_class.capacity
    if slot.waitlist:
        wanted = capacity + WAITLISTED_EXTRA
    elif slot.day > today:
        wanted = round(capacity * rng.uniform(0.5, 0.7))
    else:
        wanted = round(capacity * rng.uniform(0.75, 1.0))
    chosen = fixed + rng.sample(others, max(0, min(wanted - len(fixed), len(others))))
    report = services.enrolment_add(actor=actor, training_class=training_class, members=chosen)
    return len(report.enrolled) + len(report.waitlisted)


def backdate(training_class: TrainingClass, published: bool) -> None:
    """Announced two weeks ahead and enrolled then, as if it had happened in time."""
    announced = min(_at(training_class.start_date - timedelta(days=14), (9, 0)), timezone.now())
    if published:
        TrainingClass.objects.filter(pk=training_class.pk).update(published_at=announced)
    Enrollment.objects.filter(training_class=training_class).update(requested_at=announced)


def slot_realise(slot: Slot, res: Resources, rng, today: date, actors: dict) -> tuple[bool, int]:
    """Create the slot's class and take it as far as its fate says; (created, members enrolled)."""
    actor = actors.get(slot.school.pk)
    training_class = class_create(slot, res, rng, today, actor)
    if training_class is None:
        return False, 0
    staff = actor or actors["orgdept"]
    enrolled = 0
    if slot.fate in (PUBLISHED, CANCELLED):
        enrolled = members_enrol(slot, training_class, res, rng, today, staff)
    published = slot.fate == PUBLISHED or (slot.fate == CANCELLED and slot.day > today)
    if published:
        training_class = services.training_class_publish(actor=actor, training_class=training_class)
    backdate(training_class, published)
    if slot.fate == CANCELLED:
        reason = content.CANCEL_REASONS[slot.town // 2 % len(content.CANCEL_REASONS)]
        services.training_class_cancel(actor=actor, training_class=training_class, reason=reason)
    return True, enrolled


def classes_ensure(
    city: CitySchoolPage, townships: Sequence[TownshipSchoolPage], rng: random.Random, today: date
) -> ClassesResult:
    """The demo calendar, plans and enrolments, unless the demo schools hold classes already."""
    result = ClassesResult()
    if TrainingClass.objects.filter(school__in=[city, *townships]).exists():
        return result
    slots = schedule.calendar(city, townships, rng, today)
    schedule.plans_ensure(townships, slots, rng, today)
    schedule.themes_and_numbers(slots, rng)
    res = Resources.load(city, townships, rng)
    users = {
        user.username: user
        for user in User.objects.filter(username__in=["orgdept", "township1", "cityschool"])
    }
    actors = {"orgdept": users["orgdept"], townships[0].pk: users["township1"], city.pk: users["cityschool"]}
    for slot in slots:
        created, enrolled = slot_realise(slot, res, rng, today, actors)
        result.created += created
        result.skipped += not created
        result.enrolled += enrolled
    services.class_statuses_advance(today=today)
    return result
