"""Attendance in the admin. Each module registers its own hooks when imported."""

from lms.attendance.admin import reports, rollcall  # noqa: F401
