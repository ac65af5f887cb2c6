"""`manage.py stats_refresh`: sum the attendance records into the members' monthly hours the dashboards
read (lms.stats.models.MemberMonthHours), a year at a time.

Run it from cron (deploy/lms.cron): every ten minutes for this year, nightly with `--all` for the
earlier years (corrections of old records). It enqueues one task per year for the worker (`--here`
runs them in this process). Idempotent: a year is replaced whole, and two refreshes of one year run
one after the other.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from lms.scheduling.models import Session
from lms.stats import services


class Command(BaseCommand):
    help = "Sum the attendance records into the dashboards' monthly hours (this year, or --all years)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="This year (repeatable).")
        parser.add_argument("--all", action="store_true", help="Every year that has sessions.")
        parser.add_argument("--here", action="store_true", help="Refresh in this process, not the worker.")

    def handle(self, *args, **options):
        years = set(options["year"] or [])
        if options["all"]:
            first = Session.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
            if first is not None:
                years |= set(range(timezone.localtime(first).year, timezone.localdate().year + 1))
        if not years:
            years = {timezone.localdate().year}
        for year in sorted(years):
            if options["here"]:
                stamp = services.figures_refresh(year=year)
                self.stdout.write(f"{year}: {stamp.rows} monthly rows in {stamp.seconds:.1f} s")
            else:
                services.figures_refresh_enqueue(years=[year])
                self.stdout.write(f"{year}: refresh enqueued")
