"""The hours reports' spreadsheets, built by the background worker (lms/exports): members behind the
yearly requirement and the per-township summary. Each reads as the user who asked, through the
page's own permission check and selectors, so the file holds what that user's page shows."""

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from lms.attendance.admin import reports_behind, reports_townships
from lms.attendance.admin.reports_common import FIRST_YEAR, may_see_hours, may_see_summary
from lms.exports.sources import ExportSource, int_or_none


def clean_year(value) -> int:
    year = int_or_none(value)
    if year is None or not FIRST_YEAR <= year <= 9999:
        raise ValueError(f"not a report year: {value!r}")
    return year


class MembersBehindExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        return {
            "year": clean_year(params.get("year")),
            "township": int_or_none(params.get("township")),
            "branch": int_or_none(params.get("branch")),
        }

    def allowed(self) -> bool:
        return may_see_hours(self.user)

    def filename(self) -> str:
        return f"members-behind-{self.params['year']}"

    def sheet_title(self) -> str:
        return _("Behind %(year)s") % {"year": self.params["year"]}

    def headings(self):
        return [str(heading) for heading in reports_behind.HEADINGS]

    def open(self):
        members = reports_behind.behind_filtered(
            self.user, self.params["year"], self.params["township"], self.params["branch"]
        )
        chunk = settings.EXPORTS_CHUNK_ROWS
        rows = (reports_behind.export_cells(member) for member in members.iterator(chunk_size=chunk))
        return members.count(), rows


class TownshipSummaryExport(ExportSource):
    @classmethod
    def clean_params(cls, params: Mapping) -> dict:
        return {"year": clean_year(params.get("year"))}

    def allowed(self) -> bool:
        return may_see_summary(self.user)

    def filename(self) -> str:
        return f"training-hours-by-township-{self.params['year']}"

    def sheet_title(self) -> str:
        return str(self.params["year"])

    def headings(self):
        return [str(heading) for heading in reports_townships.HEADINGS]

    def open(self):
        rows, total = reports_townships.township_summary(self.user, self.params["year"])
        cells = [row.cells() for row in (*rows, total)]
        return len(cells), cells
