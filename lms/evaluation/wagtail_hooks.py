"""Teacher evaluation in the admin (the 考评 menu); see lms/evaluation/admin/menu.py."""

from lms.evaluation.admin import menu  # noqa: F401
