"""The admin home's panels per role (added by wagtail_hooks.py on `construct_homepage_panels`).

Township and city-school staff: today's sessions with sign-in counts and their links (roll call,
venue screen, live room), leave requests waiting for a decision, classes not following 5+1+N.
The organization department: classes this week across the county, evaluations closing soon with
their response counts, teachers flagged by the ranking, classes not following 5+1+N.

Each panel reads its figures when it is rendered, through `dashboard.selectors`.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from wagtail.admin.ui.components import Component

from lms.dashboard import selectors
from lms.people.roles import Role
from lms.people.selectors import is_org_dept, is_staff_user, user_has_role
from lms.scheduling.models import Delivery


class RolePanel(Component):
    """A home panel reading its figures for `user` at `now` (the request's time by default)."""

    name = ""
    order = 0

    def __init__(self, user, now: datetime | None = None):
        self.user = user
        self.now = now

    def figures(self, now: datetime) -> dict:
        raise NotImplementedError

    def get_context_data(self, parent_context=None):
        now = self.now or timezone.now()
        return {"now": now, "panel_id": self.name, **self.figures(now)}


class TodaySessionsPanel(RolePanel):
    name = "today-sessions"
    order = 10
    template_name = "dashboard/today_sessions.html"

    def figures(self, now):
        sessions = selectors.sessions_today(self.user, now)
        for session in sessions:
            session.is_live = session.delivery != Delivery.IN_PERSON
        return {"sessions": sessions, "today": selectors.county_today(now)}


class PendingLeavePanel(RolePanel):
    name = "pending-leave"
    order = 20
    template_name = "dashboard/pending_leave.html"

    def figures(self, now):
        return {"pending": selectors.pending_leave_count(self.user)}


class ClassesBreakingRulesPanel(RolePanel):
    name = "classes-breaking-rules"
    order = 30
    template_name = "dashboard/classes_breaking_rules.html"

    def figures(self, now):
        return {"listing": selectors.classes_breaking_rules(self.user, now), "oversees": self.oversees}

    @property
    def oversees(self) -> bool:
        """The organization department and the city school have the county's compliance overview."""
        return is_org_dept(self.user) or user_has_role(self.user, Role.CITY_STAFF)


class ClassesThisWeekPanel(RolePanel):
    name = "classes-this-week"
    order = 10
    template_name = "dashboard/classes_this_week.html"

    def figures(self, now):
        monday, sunday = selectors.week_of(selectors.county_today(now))
        return {"listing": selectors.classes_this_week(self.user, now), "monday": monday, "sunday": sunday}


class EvaluationsClosingPanel(RolePanel):
    name = "evaluations-closing"
    order = 20
    template_name = "dashboard/evaluations_closing.html"

    def figures(self, now):
        return {
            "listing": selectors.evaluations_closing(self.user, now),
            "days": selectors.CLOSING_DAYS,
            "min_responses": settings.EVALUATION_MIN_RESPONSES,
        }


class FlaggedTeachersPanel(RolePanel):
    name = "flagged-teachers"
    order = 25
    template_name = "dashboard/flagged_teachers.html"

    def figures(self, now):
        return {
            "flagged": selectors.flagged_teachers(now),
            "award_rate": settings.EVALUATION_AWARD_MIN_RATE,
            "rectify_rate": settings.EVALUATION_RECTIFY_BELOW_RATE,
        }


class YearFiguresPanel(RolePanel):
    """This year so far: requirement met, classes held and 5+1+N compliant, and the townships (or
    branches) furthest behind, each opening its figures in the dashboard (lms.stats)."""

    name = "year-figures"
    order = 5
    template_name = "dashboard/year_figures.html"

    def figures(self, now):
        return {"figures": selectors.year_figures(self.user, now)}


def panels_for(user, now: datetime | None = None) -> list[RolePanel]:
    """The panels of the user's role: nothing for members and teachers (they have /me/)."""
    if is_org_dept(user):
        panels = (
            YearFiguresPanel,
            ClassesThisWeekPanel,
            EvaluationsClosingPanel,
            FlaggedTeachersPanel,
            ClassesBreakingRulesPanel,
        )
    elif is_staff_user(user):
        panels = (YearFiguresPanel, TodaySessionsPanel, PendingLeavePanel, ClassesBreakingRulesPanel)
    else:
        panels = ()
    return [panel(user, now) for panel in panels]
