"""API routes of lms.learning under /api/v1/."""

from ninja import Router

router = Router(tags=["learning"])
