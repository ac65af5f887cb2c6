"""`manage.py import_members FILE`: load party members from a township office's CSV or XLSX list."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.people.importing import ImportFileError, members_import
from lms.people.selectors import is_staff_user


class Command(BaseCommand):
    help = (
        "Import party members from a .csv or .xlsx file with one row per member: name, phone, branch, "
        "category, migrant (Chinese or English headers; optional 镇街党校/township column). Bad rows are "
        "reported with their row number; good rows are imported; re-running the same file updates members."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the .csv or .xlsx file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report, but save nothing."
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Import as this staff user: rows outside their schools are refused. Default: unrestricted.",
        )

    def handle(self, *args, file, dry_run, username, **options):
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(_("There is no user “%(username)s”.") % {"username": username})
            if not is_staff_user(actor):
                raise CommandError(_("User “%(username)s” is not school staff.") % {"username": username})
        try:
            report = members_import(file, actor=actor, dry_run=dry_run)
        except (ImportFileError, PermissionDenied) as error:
            raise CommandError(str(error)) from error

        if dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))
        self.stdout.write(
            _(
                "Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, "
                "failed rows: %(failed)s."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "failed": len(report.failed_rows),
            }
        )
        for error in report.errors:
            # Translators: in Chinese "第 %(row)s 行：%(reason)s"; the row number is the spreadsheet's.
            self.stderr.write(_("Row %(row)s: %(reason)s") % {"row": error.row, "reason": error.reason})
        if report.errors:
            count = len(report.failed_rows)
            if dry_run:
                message = ngettext("%(count)s row would fail.", "%(count)s rows would fail.", count)
            else:
                message = ngettext(
                    "%(count)s row could not be imported; the other rows were imported.",
                    "%(count)s rows could not be imported; the other rows were imported.",
                    count,
                )
            raise CommandError(message % {"count": count})
