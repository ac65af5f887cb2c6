"""The member's own training hours (mobile first): this year's hours against the yearly requirement,
hours by source, the 5-year rotation, and the sessions that counted and those that did not."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import ngettext

from lms.attendance import selectors
from lms.attendance.models import AttendanceSource, AttendanceStatus, RequirementScope
from lms.people.models import MemberCategory
from lms.people.selectors import member_profile

YEARS_SHOWN = selectors.ROTATION_YEARS  # the year picker goes back over the rotation


def hours(minutes: int) -> Decimal:
    """Minutes as hours with one decimal."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def days(hours_value: Decimal) -> Decimal:
    """Hours as training days (ATTENDANCE_HOURS_PER_DAY hours a day), with one decimal."""
    return (Decimal(hours_value) / settings.ATTENDANCE_HOURS_PER_DAY).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def by_class(records) -> list[dict]:
    """The ledger's records grouped by training class (in the order attended), with the class's hours.
    Each record brings its texts written out: through template filters and `{% blocktrans %}` each
    record cost ~0.5 ms to render (every date, time and number asks for the language's formats), most
    of the page for a member with a few classes."""
    short_date = get_format("SHORT_DATE_FORMAT")
    groups: dict[int, dict] = {}
    for record in records:
        starts = timezone.localtime(record.session.starts_at)
        record.time_text = starts.strftime("%H:%M")
        record.date_text = dateformat.format(starts, short_date)
        record.minutes_text = ngettext("%(minutes)s minute", "%(minutes)s minutes", record.minutes) % {
            "minutes": record.minutes
        }
        record.title_text = record.session.display_title
        group = groups.setdefault(
            record.session.training_class_id,
            {
                "training_class": record.session.training_class,
                "school_title": record.school_title,
                "records": [],
                "minutes": 0,
            },
        )
        group["records"].append(record)
        group["minutes"] += record.minutes
        # The enum's label, not get_FOO_display(), which hashes every choice (each a translation) on
        # every call: a tenth of the page's CPU for a member with a dozen sessions.
        record.status_label = AttendanceStatus(record.status).label
        record.source_label = AttendanceSource(record.source).label
    for group in groups.values():
        group["hours"] = hours(group["minutes"])
        group["counts"] = all(record.counts for record in group["records"])
        # Some sessions count and some do not (an exam in a year the department leaves exams out): the
        # class's hours say how many of them count, as its total would otherwise overstate the ledger.
        counted = [record for record in group["records"] if record.counts]
        group["partly_counted"] = bool(counted) and not group["counts"]
        group["counted_hours"] = hours(sum(record.minutes for record in counted))
    return list(groups.values())


def chosen_year(request, this_year: int) -> int:
    try:
        year = int(request.GET.get("year", this_year))
    except (TypeError, ValueError):
        return this_year
    return year if 2000 <= year <= this_year + 1 else this_year


@login_required
def my_hours(request):
    this_year = timezone.localdate().year
    year = chosen_year(request, this_year)
    member = member_profile(request.user)
    context = {
        "member": member,
        "year": year,
        "years": list(range(this_year, this_year - YEARS_SHOWN, -1)),
    }
    if member is not None:
        ledger = selectors.member_ledger(member, year)
        required = hours(ledger.required_minutes)
        counted = hours(ledger.counted_minutes)
        context.update(
            ledger=ledger,
            required_hours=required,
            required_days=days(ledger.rule.hours),
            counted_hours=counted,
            counted_days=days(counted),
            total_hours=hours(ledger.total_minutes),
            missing_hours=max(required - counted, Decimal(0)),
            percent=min(100, round(100 * ledger.counted_minutes / ledger.required_minutes))
            if ledger.required_minutes
            else 100,
            by_source=[
                {"label": AttendanceSource(source).label, "hours": hours(minutes)}
                for source, minutes in sorted(ledger.minutes_by_source.items(), key=lambda item: -item[1])
            ],
            not_counted=[record for record in ledger.records if not record.counts],
            classes=by_class(ledger.records),
            rotation_first_year=year - selectors.ROTATION_YEARS + 1,
            # The enums' labels: get_FOO_display() hashes every choice (each a translation) per call.
            category_label=MemberCategory(member.category).label,
            scope_label=RequirementScope(ledger.rule.scope).label,
        )
    return render(request, "attendance/hours.html", context)
