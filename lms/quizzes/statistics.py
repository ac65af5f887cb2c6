"""Results of a paper for staff: score distribution, pass rate by township and branch, and per question
the facility index, the discrimination index and how often each option was chosen (as in Moodle's quiz
statistics report). Only released attempts count."""

import math
from collections import defaultdict
from decimal import Decimal

from django.db.models import Avg, Count, Q

from lms.quizzes.models import Attempt, AttemptQuestion, AttemptStatus, Paper, Question


def released_attempts(paper: Paper):
    return Attempt.objects.filter(paper=paper, status=AttemptStatus.RELEASED)


def _rate(part, whole) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def paper_summary(paper: Paper) -> dict:
    """Counts, mean, pass rate and ten score bands (0–9 %, …, 90–100 %)."""
    attempts = released_attempts(paper)
    totals = attempts.aggregate(n=Count("id"), passed=Count("id", filter=Q(passed=True)), mean=Avg("score"))
    bands = [0] * 10
    for score, max_score in attempts.values_list("score", "max_score"):
        if max_score:
            bands[min(9, int(score * 10 / max_score))] += 1
    return {
        "attempts": totals["n"],
        "passed": totals["passed"],
        "pass_rate": _rate(totals["passed"], totals["n"]),
        "mean": None if totals["mean"] is None else Decimal(totals["mean"]).quantize(Decimal("0.01")),
        "bands": [
            {"label": f"{i * 10}–{i * 10 + 9 if i < 9 else 100}%", "count": c} for i, c in enumerate(bands)
        ],
    }


def paper_by_group(paper: Paper, field: str) -> list[dict]:
    """Per township (`member__branch__township__title`) or branch (`member__branch__name`)."""
    rows = (
        released_attempts(paper)
        .values(field)
        .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)), mean=Avg("score"))
        .order_by(field)
    )
    return [
        {
            "name": row[field],
            "attempts": row["n"],
            "passed": row["passed"],
            "pass_rate": _rate(row["passed"], row["n"]),
            "mean": Decimal(row["mean"]).quantize(Decimal("0.01")),
        }
        for row in rows
    ]


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def question_statistics(paper: Paper) -> list[dict]:
    """Per question (each version apart): facility index (mean share of its points earned, %),
    discrimination index (correlation, ×100, between the question's score and the rest of the paper's),
    and for choice questions how many chose each option."""
    rows = AttemptQuestion.objects.filter(
        attempt__paper=paper, attempt__status=AttemptStatus.RELEASED
    ).values_list("question_id", "fraction", "score", "response", "attempt__score")
    by_question = defaultdict(list)
    for question_id, fraction, score, response, total in rows:
        by_question[question_id].append(
            (float(fraction or 0), float(score or 0), response, float(total or 0))
        )
    questions = Question.objects.in_bulk(list(by_question))
    result = []
    for question_id, answers in by_question.items():
        question = questions[question_id]
        fractions = [a[0] for a in answers]
        rest = [a[3] - a[1] for a in answers]
        discrimination = _correlation(fractions, rest)
        options = []
        if question.type_code in ("single", "multiple", "true_false"):
            counts = [0] * len(question.options_list)
            for _f, _s, response, _t in answers:
                if response is None:
                    continue
                if question.type_code == "true_false":
                    counts[0 if response else 1] += 1
                else:
                    for index in response if isinstance(response, list) else [response]:
                        if 0 <= index < len(counts):
                            counts[index] += 1
            options = [
                {"text": text, "count": count, "share": _rate(count, len(answers))}
                for text, count in zip(question.options_list, counts, strict=True)
            ]
        result.append(
            {
                "question": question,
                "attempts": len(answers),
                "facility": round(100 * sum(fractions) / len(fractions), 1),
                "discrimination": None if discrimination is None else round(100 * discrimination, 1),
                "options": options,
            }
        )
    result.sort(key=lambda row: (row["facility"], row["question"].pk))
    return result
