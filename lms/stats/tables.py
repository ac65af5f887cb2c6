"""The tables behind the dashboard's charts, as sheets: the dashboard's XLSX, the annual report's
workbook and (as the same rows) the API. Headings in the active language."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from lms.evaluation import ranking
from lms.exports.writers import formula_safe
from lms.stats.selectors import Dashboard


@dataclass
class Sheet:
    name: str  # the chart it stands behind: coverage, months, classes, class_months, participation, teachers
    title: str
    headings: Sequence[str]
    rows: list[list]


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def sheets(dash: Dashboard) -> list[Sheet]:
    unit = _("Branch") if dash.place.level == "township" else _("Township")
    if dash.place.level == "branch":
        unit = _("Branch")
    coverage = [
        [
            row.title,
            row.members,
            row.required,
            row.met,
            row.behind,
            float(row.met_share),
            row.cadres,
            row.cadres_met,
            float(row.cadres_share),
            row.rotated,
            float(row.rotation_share),
        ]
        for row in [*dash.coverage, dash.coverage_total]
    ]
    result = [
        Sheet(
            "coverage",
            _("Training coverage"),
            [
                unit,
                _("Members"),
                _("Requirement applies"),
                _("Requirement met"),
                _("Behind"),
                _("Share met (%)"),
                _("Village cadres"),
                _("Village cadres who met two days"),
                _("Village cadres met (%)"),
                _("Trained in five years"),
                _("Five-year rotation (%)"),
            ],
            coverage,
        ),
        Sheet(
            "months",
            _("Coverage over the months"),
            [_("Month"), _("Requirement met by the month's end"), _("Members trained in the month")],
            [[row["month"], row["met"], row["trained"]] for row in dash.months],
        ),
        Sheet(
            "classes",
            _("Classes by school"),
            [_("School"), _("Planned"), _("Held"), _("5+1+N compliant"), _("Compliant (%)"), _("Scheduled")],
            [
                [row.title, row.planned, row.held, row.compliant, float(row.compliant_share), row.scheduled]
                for row in [*dash.classes["schools"], dash.classes["total"]]
            ],
        ),
        Sheet(
            "class_months",
            _("Classes by month"),
            [_("Month"), _("Planned"), _("Held"), _("5+1+N compliant"), _("Scheduled")],
            [
                [row.key, row.planned, row.held, row.compliant, row.scheduled]
                for row in dash.classes["months"]
            ],
        ),
        Sheet(
            "participation",
            _("Live and on-demand participation"),
            [
                unit,
                _("In-person hours"),
                _("Live hours"),
                _("Replay hours"),
                _("On-demand and other hours"),
                _("Replays watched"),
                _("Make-up owed (sessions missed)"),
            ],
            [
                [
                    row.title,
                    _hours(row.in_person_minutes),
                    _hours(row.live_minutes),
                    _hours(row.replay_minutes),
                    _hours(row.other_minutes),
                    row.replays,
                    row.makeup_owed,
                ]
                for row in [*dash.participation, dash.participation_total]
            ],
        ),
    ]
    if dash.teachers is not None:
        years = list(range(dash.year - ranking.TREND_YEARS + 1, dash.year + 1))
        result.append(
            Sheet(
                "teachers",
                _("Teacher ranking"),
                [
                    _("Category"),
                    _("Rank"),
                    _("Teacher"),
                    _("Satisfaction (%)"),
                    _("Composite score"),
                    _("Flags"),
                    *[str(y) for y in years],
                ],
                [
                    [
                        row.teacher.get_category_display(),
                        row.rank,
                        row.teacher.name,
                        float(row.satisfaction_rate) if row.satisfaction_rate is not None else None,
                        float(row.composite) if row.composite is not None else None,
                        "、".join(flag_label(flag) for flag in row.flags),
                        *[float(row.trend[y]) if row.trend.get(y) is not None else None for y in years],
                    ]
                    for row in dash.teachers.rows
                ],
            )
        )
        result.append(
            Sheet(
                "satisfaction",
                _("Satisfaction distribution"),
                [_("Satisfaction"), _("Teachers")],
                [[row["label"], row["teachers"]] for row in dash.teachers.distribution],
            )
        )
    return result


def flag_label(flag: str) -> str:
    return {
        ranking.NOT_AWARD_ELIGIBLE: _("below 90 %: no awards"),
        ranking.RECTIFICATION: _("below 60 %: rectification"),
        ranking.REMOVAL_RECOMMENDED: _("below 60 % two years: removal recommended"),
    }.get(flag, flag)


def write_xlsx(output, chosen: list[Sheet]) -> None:
    """A workbook with one sheet per table; every cell formula-safe, like every export."""
    workbook = Workbook(write_only=True)
    for sheet in chosen:
        worksheet = workbook.create_sheet(title=str(sheet.title)[:31])
        for row in [[str(h) for h in sheet.headings], *sheet.rows]:
            cells = []
            for value in row:
                cell = WriteOnlyCell(worksheet, formula_safe(value))
                if cell.data_type == "f":
                    cell.data_type = "s"
                cells.append(cell)
            worksheet.append(cells)
    workbook.save(output)
