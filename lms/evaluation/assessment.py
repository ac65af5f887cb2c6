"""Writes of the organization department's annual assessment of teachers: its own review score of each
pool teacher for a year, and how the year's composite score is weighted.

Both check that the actor is the organization department, validate (with messages a person can act
on, before the database's own constraints would refuse the row) and write inside a transaction."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lms.evaluation.models import DepartmentScore, ScoringScheme
from lms.people.models import Teacher
from lms.people.selectors import is_org_dept

SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
WEIGHTS_TOTAL = 100


def _check_org_dept(actor) -> None:
    if not is_org_dept(actor):
        raise PermissionDenied(_("Only the organization department assesses teachers."))


def _as_decimal(value) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": _("Enter a score from 0 to 100.")}, code="invalid") from None


@transaction.atomic
def department_score_set(*, actor, teacher: Teacher, year: int, score, note: str = "") -> DepartmentScore:
    """Set (or change) the department's review score of a pool teacher for a year, 0–100."""
    _check_org_dept(actor)
    value = _as_decimal(score)
    if not value.is_finite() or not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError({"score": _("Enter a score from 0 to 100.")}, code="out_of_range")
    if not teacher.is_active_in(year):
        raise ValidationError(
            _("%(teacher)s was not in the teacher pool in %(year)s.")
            % {"teacher": teacher.name, "year": year},
            code="not_in_pool",
        )
    record = DepartmentScore.objects.select_for_update().filter(teacher=teacher, year=year).first()
    record = record or DepartmentScore(teacher=teacher, year=year)
    record.score, record.note, record.entered_by = value, (note or "").strip(), actor
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def scoring_scheme_set(
    *,
    actor,
    year: int,
    satisfaction_weight: int,
    rating_weight: int,
    review_weight: int,
    sessions_weight: int,
    sessions_target: int,
) -> ScoringScheme:
    """Set how the year's composite score is weighted; the four weights must add up to 100."""
    _check_org_dept(actor)
    weights = (satisfaction_weight, rating_weight, review_weight, sessions_weight)
    if any(weight is None or weight < 0 for weight in weights):
        raise ValidationError(_("Each weight must be a whole number from 0 to 100."), code="invalid")
    total = sum(weights)
    if total != WEIGHTS_TOTAL:
        raise ValidationError(
            _("The four weights must add up to 100; they add up to %(total)s.") % {"total": total},
            code="weights_sum",
        )
    if sessions_target is None or sessions_target < 1:
        raise ValidationError(
            {"sessions_target": _("At least one session must be needed for full marks.")}, code="invalid"
        )
    scheme = ScoringScheme.objects.select_for_update().filter(year=year).first() or ScoringScheme(year=year)
    scheme.satisfaction_weight, scheme.rating_weight = satisfaction_weight, rating_weight
    scheme.review_weight, scheme.sessions_weight = review_weight, sessions_weight
    scheme.sessions_target, scheme.updated_by = sessions_target, actor
    scheme.full_clean()
    scheme.save()
    return scheme
