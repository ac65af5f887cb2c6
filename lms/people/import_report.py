"""What a member import found and did: the report shared by the import, its command and its admin page."""

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy

from lms.people.models import Branch, MemberCategory

LOOKUP_CHUNK = 1000  # phones per `IN (...)` lookup or bulk statement: well below the databases' limits


def chunked(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    code: str = "invalid"


class RowAction(models.TextChoices):
    NEW = "new", gettext_lazy("New member")
    UPDATED = "updated", gettext_lazy("Updated member")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")


@dataclass(frozen=True)
class RowOutcome:
    """A good row and what the import does (dry run) or did with it."""

    row: int
    name: str
    phone: str
    branch: Branch
    category: str
    is_migrant: bool
    action: str

    def get_category_display(self) -> str:
        return MemberCategory(self.category).label

    def get_action_display(self) -> str:
        return RowAction(self.action).label


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    rows_read: int = 0  # member rows in the file (blank rows not counted)
    rows: list[RowOutcome] = field(default_factory=list)  # the good rows, in file order

    @property
    def failed_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, reason: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, reason, code))


@dataclass(frozen=True)
class KnownMember:
    pk: int
    user_id: int
    name: str
    branch_id: int
    category: str
    is_migrant: bool
    login_name: str  # the user's first_name, kept equal to the member's name
