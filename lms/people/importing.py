"""Member import from the spreadsheets township offices keep (CSV or XLSX, one row per member).

`import_tables` turns a file into numbered rows keyed by field, whatever language the headers are in;
this module reads the values (category, migrant flag, phone, branch) and `members_import` checks each
row and writes it through `services.member_upsert`, each row in its own savepoint, so a bad row is
reported and the good ones stay. Row numbers are the spreadsheet's own: the header is row 1.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lms.people import services
from lms.people.import_tables import (
    INTEGRAL_FLOAT,
    ImportFileError,
    MemberRow,
    loose_key,
    rows_read,
)
from lms.people.models import Branch, Member, MemberCategory
from lms.people.selectors import branches_for_user, is_staff_user

__all__ = ["ImportFileError", "ImportReport", "members_import"]

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


def _name_key(text: str) -> str:
    """Branch and school names: full-width = half-width and spaces ignored, but brackets kept."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


_CATEGORY_VALUES = {loose_key(alias): code for code, aliases in CATEGORY_ALIASES.items() for alias in aliases}
_CATEGORY_VALUES.update({loose_key(label): code for code, label in MemberCategory.choices})


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    code: str = "invalid"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, reason: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, reason, code))


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


# --- The import ----------------------------------------------------------------------------------


@dataclass
class _Checked:
    name: str
    phone: str
    branch: Branch
    category: str
    is_migrant: bool


def _row_check(row: MemberRow, finder: BranchFinder, phones: dict[str, int], report: ImportReport):
    """Validate one row before writing; every problem in the row is reported, not just the first."""
    problems: list[tuple[str, str]] = []
    name = row.get("name")
    if not name:
        problems.append(("missing_name", _("Name is required.")))
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
    return _Checked(name, phone, parsed["branch"], parsed["category"], parsed["migrant"])


def _row_write(row: MemberRow, checked: _Checked, actor, report: ImportReport) -> None:
    before = (
        Member.objects.filter(phone=checked.phone)
        .values_list("name", "branch_id", "category", "is_migrant")
        .first()
    )
    if before is None:
        # A new member's login is their phone; a member who changed phone may still hold that login.
        holder = Member.objects.filter(user__username=checked.phone).values_list("name", "phone").first()
        if holder is not None:
            report.add_error(
                row.row,
                _("Login %(phone)s already belongs to member %(name)s, whose phone is now %(other)s.")
                % {"phone": checked.phone, "name": holder[0], "other": holder[1]},
                "login_taken",
            )
            return
    try:
        with transaction.atomic():  # own savepoint: a failure here leaves the other rows alone
            member, created = services.member_upsert(
                name=checked.name,
                phone=checked.phone,
                branch=checked.branch,
                category=checked.category,
                is_migrant=checked.is_migrant,
                actor=actor,
            )
    except PermissionDenied as error:
        report.add_error(row.row, _message(error), "forbidden")
        return
    except ValidationError as error:
        report.add_error(row.row, _message(error), "invalid")
        return
    except IntegrityError as error:
        report.add_error(
            row.row, _("The row could not be saved (%(error)s).") % {"error": error}, "not_saved"
        )
        return
    if created:
        report.created += 1
    elif before == (member.name, member.branch_id, member.category, member.is_migrant):
        report.unchanged += 1
    else:
        report.updated += 1


def members_import(
    rows_or_file, *, actor=None, dry_run: bool = False, filename: str | None = None
) -> ImportReport:
    """Import members from a file (path or open file) or from rows; re-importing updates, never duplicates.

    With an `actor`, their staff scope is enforced row by row (rows for branches or members outside it are
    errors); without one the import is unrestricted (the admin command). `dry_run` checks and writes every
    row, then rolls the whole import back. Raises ImportFileError when the file itself cannot be used.
    """
    if actor is not None and not is_staff_user(actor):
        raise PermissionDenied(_("Only school staff may import members."))
    rows = list(rows_read(rows_or_file, filename=filename))  # file errors surface before any write
    report = ImportReport(dry_run=dry_run)
    phones: dict[str, int] = {}
    with transaction.atomic():
        finder = BranchFinder(actor)
        for row in rows:
            checked = _row_check(row, finder, phones, report)
            if checked is not None:
                _row_write(row, checked, actor, report)
        if dry_run:
            transaction.set_rollback(True)
    return report
