"""Page-number pagination for the API with bounded numbers: a page past 100,000 or a page size past
what the route allows is refused by the schema (422) instead of reaching the database as an offset
no column type holds (a 500 on SQLite, and on PostgreSQL past bigint)."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 100_000


class BoundedPageNumberPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)
