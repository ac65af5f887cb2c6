"""Member import from the spreadsheets township offices keep (CSV or XLSX, one row per member).

`import_tables` turns a file into numbered rows keyed by field, whatever language the headers are in;
this module reads the values (category, migrant flag, phone, branch), checks every row against the
database and the importer's scope, and `import_writes` saves the good rows in bulk. A bad row is
reported and the good ones stay. Row numbers are the spreadsheet's own: the header is row 1.

The cost does not grow with queries per row: branches, the importer's scope, the members already
known by phone and the logins in the way are each read once (in chunks), so a dry run of 20,000 rows
is a handful of queries, and the import adds a few bulk statements per thousand rows.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lms.people import services
from lms.people.import_report import (
    ImportReport,
    KnownMember,
    RowAction,
    RowOutcome,
    chunked,
)
from lms.people.import_tables import (
    INTEGRAL_FLOAT,
    ImportFileError,
    MemberRow,
    TooManyRowsError,
    loose_key,
    rows_read,
)
from lms.people.import_writes import rows_write
from lms.people.models import Branch, Member, MemberCategory
from lms.people.selectors import branches_for_user, is_staff_user

__all__ = ["ImportFileError", "ImportReport", "RowAction", "TooManyRowsError", "members_import"]

NAME_MAX_LENGTH = Member._meta.get_field("name").max_length

CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    MemberCategory.ORDINARY: ("ordinary", "ordinarymember", "普通党员", "普通", "党员"),
    MemberCategory.VILLAGE_CADRE: (
        "village_cadre",
        "villagecadre",
        "villagetwocommitteescadre",
        "村两委成员",
        "村两委",
        "两委成员",
        "两委",
        "村两委干部",
    ),
    MemberCategory.BRANCH_SECRETARY: (
        "branch_secretary",
        "branchsecretary",
        "党支部书记",
        "支部书记",
        "村党支部书记",
        "社区党支部书记",
    ),
}
MIGRANT_TRUE = {"是", "yes", "y", "true", "1", "√", "✓", "流动党员"}
MIGRANT_FALSE = {"", "否", "no", "n", "false", "0", "×", "非流动党员"}

_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


@lru_cache(maxsize=4096)  # a list repeats the same few branch and school names thousands of times
def _name_key(text: str) -> str:
    """Branch and school names: full-width = half-width and spaces ignored, but brackets kept."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


_CATEGORY_VALUES = {loose_key(alias): code for code, aliases in CATEGORY_ALIASES.items() for alias in aliases}
_CATEGORY_VALUES.update({loose_key(label): code for code, label in MemberCategory.choices})


# --- Interpreting values -------------------------------------------------------------------------


def category_parse(text: str) -> str:
    code = _CATEGORY_VALUES.get(loose_key(text)) if text else MemberCategory.ORDINARY
    if code is None:
        raise ValidationError(
            _("Unknown member category “%(value)s” (use 普通党员, 村两委成员 or 党支部书记).")
            % {"value": text}
        )
    return code


def migrant_parse(text: str) -> bool:
    key = loose_key(text)
    if key in MIGRANT_TRUE:
        return True
    if key in MIGRANT_FALSE:
        return False
    raise ValidationError(_("Unknown migrant value “%(value)s” (use 是 or 否).") % {"value": text})


def phone_parse(text: str) -> str:
    text = text.strip()
    if _SCIENTIFIC.match(text):
        raise ValidationError(
            _("Phone “%(phone)s” was shortened by Excel; format the column as text and type it again.")
            % {"phone": text}
        )
    text = INTEGRAL_FLOAT.sub(r"\1", text)  # 13912345678.0 from a float cell saved as CSV
    return services.validate_phone(text)


def _message(error: ValidationError | PermissionDenied | Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class BranchFinder:
    """Branches by name (and township when a name is in several townships), loaded once per import."""

    def __init__(self, actor=None):
        self.by_name: dict[str, list[Branch]] = {}
        for branch in Branch.objects.select_related("township"):
            self.by_name.setdefault(_name_key(branch.name), []).append(branch)
        self.managed: set[int] | None = None
        if actor is not None:
            self.managed = set(branches_for_user(actor).values_list("pk", flat=True))

    @staticmethod
    def _township_matches(branch: Branch, township: str) -> bool:
        wanted = _name_key(township)
        title = _name_key(branch.township.title)
        return wanted in (title, title.removesuffix("党校")) or wanted.removesuffix("党校") == title

    def find(self, name: str, township: str = "") -> Branch:
        if not name:
            raise ValidationError(_("Branch is required."))
        candidates = self.by_name.get(_name_key(name), [])
        if not candidates:
            raise ValidationError(_("Unknown branch “%(branch)s”.") % {"branch": name})
        if township:
            candidates = [branch for branch in candidates if self._township_matches(branch, township)]
            if not candidates:
                raise ValidationError(
                    _("Branch “%(branch)s” is not in township school “%(township)s”.")
                    % {"branch": name, "township": township}
                )
        if len(candidates) > 1 and self.managed is not None:
            # Staff importing their own township's list need not name it.
            mine = [branch for branch in candidates if branch.pk in self.managed]
            candidates = mine or candidates
        if len(candidates) > 1:
            raise ValidationError(
                _(
                    "Branch “%(branch)s” exists in several township schools (%(townships)s); "
                    "add a 镇街党校 (township) column to say which."
                )
                % {"branch": name, "townships": "、".join(b.township.title for b in candidates)}
            )
        return candidates[0]


# --- Checking rows -------------------------------------------------------------------------------


@dataclass
class _Checked:
    row: int
    name: str
    phone: str
    branch: Branch
    category: str
    is_migrant: bool


def _row_check(row: MemberRow, finder: BranchFinder, phones: dict[str, int], report: ImportReport):
    """Validate one row on its own (no queries); every problem in the row is reported, not just the first."""
    problems: list[tuple[str, str]] = []
    name = row.get("name")
    if not name:
        problems.append(("missing_name", _("Name is required.")))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(
            ("invalid_name", _("Name is longer than %(max)s characters.") % {"max": NAME_MAX_LENGTH})
        )
    phone = ""
    if not row.get("phone"):
        problems.append(("missing_phone", _("Phone is required.")))
    else:
        try:
            phone = phone_parse(row.get("phone"))
        except ValidationError as error:
            problems.append(("invalid_phone", _message(error)))
        else:
            if phone in phones:
                problems.append(
                    (
                        "duplicate_phone",
                        _("Phone %(phone)s is already used in row %(row)s.")
                        % {"phone": phone, "row": phones[phone]},
                    )
                )
            else:
                phones[phone] = row.row
    checks = (
        ("branch", lambda: finder.find(row.get("branch"), row.get("township"))),
        ("category", lambda: category_parse(row.get("category"))),
        ("migrant", lambda: migrant_parse(row.get("migrant"))),
    )
    parsed = {}
    for key, check in checks:
        try:
            parsed[key] = check()
        except ValidationError as error:
            problems.append((f"invalid_{key}", _message(error)))
    for code, reason in problems:
        report.add_error(row.row, reason, code)
    if problems:
        return None
    return _Checked(row.row, name, phone, parsed["branch"], parsed["category"], parsed["migrant"])


def members_by_phone(phones: list[str], *, lock: bool) -> dict[str, KnownMember]:
    """The members already stored under these phones, in one query per chunk (locked when writing)."""
    known: dict[str, KnownMember] = {}
    for chunk in chunked(phones):
        members = Member.objects.filter(phone__in=chunk)
        if lock:
            members = members.select_for_update(of=("self",))
        for phone, *values in members.values_list(
            "phone", "pk", "user_id", "name", "branch_id", "category", "is_migrant", "user__first_name"
        ):
            known[phone] = KnownMember(*values)
    return known


def logins_in_the_way(phones: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Logins named like the phones of new members: username → (holder's member name, their phone)."""
    found = {}
    for chunk in chunked(phones):
        logins = get_user_model().objects.filter(username__in=chunk)
        for username, name, phone in logins.values_list("username", "member__name", "member__phone"):
            found[username] = (name, phone)
    return found


def _row_plan(
    checked: _Checked, known: KnownMember | None, login, managed: set[int] | None, report: ImportReport
) -> str | None:
    """What importing the row does (a RowAction), or None after reporting why it cannot be imported.
    The same rules as `services.member_upsert`, decided from what was read in bulk."""
    if managed is not None and checked.branch.pk not in managed:
        report.add_error(
            checked.row,
            _("You may not manage members of branch “%(branch)s”.") % {"branch": checked.branch},
            "forbidden",
        )
        return None
    if known is None:
        if login is not None:
            holder_name, holder_phone = login
            if holder_phone is not None:
                # A member who changed phone still logs in with the old one.
                report.add_error(
                    checked.row,
                    _("Login %(phone)s already belongs to member %(name)s, whose phone is now %(other)s.")
                    % {"phone": checked.phone, "name": holder_name, "other": holder_phone},
                    "login_taken",
                )
            else:
                # Never take over an existing login (staff, teacher…) because its name is a phone number.
                report.add_error(
                    checked.row,
                    _("The login “%(username)s” already exists and is not this member’s.")
                    % {"username": checked.phone},
                    "invalid",
                )
            return None
        return RowAction.NEW
    if managed is not None and known.branch_id not in managed:
        report.add_error(
            checked.row, _("You may not manage member “%(name)s”.") % {"name": known.name}, "forbidden"
        )
        return None
    wanted = (checked.name, checked.branch.pk, checked.category, checked.is_migrant)
    if (known.name, known.branch_id, known.category, known.is_migrant) == wanted:
        return RowAction.UNCHANGED
    return RowAction.UPDATED


# --- The import ----------------------------------------------------------------------------------


def members_import(
    rows_or_file,
    *,
    actor=None,
    dry_run: bool = False,
    filename: str | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Import members from a file (path or open file) or from rows; re-importing updates, never duplicates.

    With an `actor`, their staff scope is enforced row by row (rows for branches or members outside it are
    errors); without one the import is unrestricted (the admin command). `dry_run` checks every row against
    the database and reports what the import would do, writing nothing. Raises ImportFileError when the
    file itself cannot be used, TooManyRowsError (before any database work) past `max_rows` rows.
    """
    if actor is not None and not is_staff_user(actor):
        raise PermissionDenied(_("Only school staff may import members."))
    rows = rows_read(rows_or_file, filename=filename, max_rows=max_rows)  # file errors come first
    report = ImportReport(dry_run=dry_run, rows_read=len(rows))
    phones: dict[str, int] = {}
    with transaction.atomic():
        finder = BranchFinder(actor)
        checked = [c for row in rows if (c := _row_check(row, finder, phones, report)) is not None]
        known = members_by_phone([c.phone for c in checked], lock=not dry_run)
        logins = logins_in_the_way([c.phone for c in checked if c.phone not in known])
        for c in checked:
            action = _row_plan(c, known.get(c.phone), logins.get(c.phone), finder.managed, report)
            if action is not None:
                report.rows.append(
                    RowOutcome(c.row, c.name, c.phone, c.branch, c.category, c.is_migrant, action)
                )
        if dry_run:
            report.created = sum(1 for o in report.rows if o.action == RowAction.NEW)
            report.updated = sum(1 for o in report.rows if o.action == RowAction.UPDATED)
            report.unchanged = sum(1 for o in report.rows if o.action == RowAction.UNCHANGED)
        else:
            rows_write(report, known, actor=actor)
    report.errors.sort(key=lambda error: error.row)
    return report
