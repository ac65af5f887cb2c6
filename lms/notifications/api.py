"""API routes of lms.notifications under /api/v1/."""

from ninja import Router

router = Router(tags=["notifications"])
