"""API routes of lms.quizzes under /api/v1/."""

from ninja import Router

router = Router(tags=["quizzes"])
