"""API routes of lms.vod under /api/v1/."""

from ninja import Router

router = Router(tags=["vod"])
