"""API routes of lms.stats under /api/v1/."""

from ninja import Router

router = Router(tags=["stats"])
