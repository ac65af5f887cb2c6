"""A teacher's printable yearly report: their figures and flags, the composite score with its parts and
weights, the standard form's questions pooled over the year, comments, and the sessions that counted.

A plain page (not in the admin), so teachers, who have no admin access, can open and print it; only
the teacher and the organization department may (anyone else gets a 404: no hint that it exists)."""

from decimal import ROUND_HALF_UP

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from lms.evaluation import ranking, results, selectors
from lms.evaluation.admin.reports_common import PART_LABELS, flag_badges, signed
from lms.people.models import Teacher
from lms.people.selectors import is_org_dept

FIRST_YEAR = 2000


def composite_parts(row: ranking.RankingRow) -> list[dict]:
    parts = row.parts
    return [
        {
            "name": name,
            "label": PART_LABELS[name],
            "weight": weight,
            "score": None
            if parts[name] is None
            else parts[name].quantize(results.ONE_DECIMAL, ROUND_HALF_UP),
            "missing": name in row.missing_parts,
        }
        for name, weight in row.scheme.weights.items()
    ]


@login_required
def teacher_report(request, teacher_id: int, year: int):
    teacher = get_object_or_404(Teacher, pk=teacher_id)
    if not selectors.can_see_teacher(request.user, teacher):
        raise Http404
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404
    now = timezone.now()
    year_result = results.teacher_year_result(teacher, year, now)
    # The ranking row of this teacher alone: its county rate still comes from the whole county.
    (row,) = ranking.teacher_ranking(year, now, teachers=Teacher.objects.filter(pk=teacher.pk))
    context = {
        "teacher": teacher,
        "year": year,
        "result": year_result,
        "row": row,
        "badges": flag_badges(row.flags),
        "vs_county": signed(row.vs_county),
        "parts": composite_parts(row),
        "min_responses": results.min_responses(),
        "is_org_dept": is_org_dept(request.user),
        "generated_at": now,
    }
    return render(request, "evaluation/teacher_report.html", context)
