"""The annual report's files: charts as SVG (charts.py), the PDF (WeasyPrint from an HTML template,
Debian's Noto CJK fonts) and the XLSX workbook (the dashboard's tables and the classes held)."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from lms.evaluation import ranking
from lms.stats import charts as svg
from lms.stats import tables
from lms.stats.selectors import Dashboard


def charts(dash: Dashboard) -> dict[str, str]:
    drawn = {
        "coverage": svg.bars(
            _("Requirement met and five-year rotation (%)"),
            [row.title for row in dash.coverage],
            {
                _("Share met (%)"): [float(row.met_share) for row in dash.coverage],
                _("Five-year rotation (%)"): [float(row.rotation_share) for row in dash.coverage],
            },
        ),
        "months": svg.lines(
            _("Members who met the requirement, month by month"),
            [str(row["month"]) for row in dash.months],
            {
                _("Requirement met"): [row["met"] for row in dash.months],
                _("Trained in the month"): [row["trained"] for row in dash.months],
            },
        ),
        "classes": svg.bars(
            _("Classes planned, held and 5+1+N compliant"),
            [row.title for row in dash.classes["schools"]],
            {
                _("Planned"): [row.planned for row in dash.classes["schools"]],
                _("Held"): [row.held for row in dash.classes["schools"]],
                _("5+1+N compliant"): [row.compliant for row in dash.classes["schools"]],
            },
        ),
        "participation": svg.bars(
            _("Hours by way of taking part"),
            [row.title for row in dash.participation],
            {
                _("In person"): [row.in_person_minutes / 60 for row in dash.participation],
                _("Live"): [row.live_minutes / 60 for row in dash.participation],
                _("Replay"): [row.replay_minutes / 60 for row in dash.participation],
            },
        ),
    }
    if dash.teachers is not None:
        drawn["satisfaction"] = svg.bars(
            _("Teachers by satisfaction"),
            [row["label"] for row in dash.teachers.distribution],
            {_("Teachers"): [row["teachers"] for row in dash.teachers.distribution]},
        )
        years = list(range(dash.year - ranking.TREND_YEARS + 1, dash.year + 1))
        drawn["trend"] = svg.lines(
            _("Satisfaction per teacher category, five years (%)"),
            [str(y) for y in years],
            {
                category_label(category): [trend.get(y) for y in years]
                for category, trend in dash.teachers.category_trend.items()
            },
        )
    return {name: mark_safe(chart) for name, chart in drawn.items()}  # noqa: S308 (built by us, text escaped)


def category_label(category: str) -> str:
    from lms.people.models import TeacherCategory

    return str(TeacherCategory(category).label) if category in TeacherCategory.values else category


def pdf(title: str, dash: Dashboard, drawn: dict, held: list) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "stats/report.html",
        {"title": title, "dash": dash, "charts": drawn, "held": held, "sheets": tables.sheets(dash)},
    )
    return HTML(string=html).write_pdf()


def workbook(output, dash: Dashboard, held: list) -> None:
    classes = tables.Sheet(
        "held",
        _("Classes held"),
        [_("School"), _("Training class"), _("First day"), _("Last day"), _("5+1+N compliant")],
        [
            [c.school.title, c.title, c.start_date, c.end_date, _("Yes") if c.is_compliant else _("No")]
            for c in held
        ],
    )
    tables.write_xlsx(output, [*tables.sheets(dash), classes])
