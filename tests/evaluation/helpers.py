"""Answer sheets for the standard form, by question code."""

from lms.evaluation import counting, services
from lms.evaluation.models import RatingQuestion, TextQuestion


def sheet(evaluation, overall: int = 5, others: int = 4, comment: str | None = None, **by_code) -> dict:
    """Answers to every question of an evaluation: `overall` for the satisfaction item, `others` for the
    other ratings, `comment` for free text; `by_code` overrides single questions."""
    answers = {}
    for question in services.evaluation_questions(evaluation):
        if question.code in by_code:
            answers[str(question.pk)] = by_code[question.code]
        elif isinstance(question, RatingQuestion):
            answers[str(question.pk)] = overall if question.counts_for_satisfaction else others
        elif isinstance(question, TextQuestion) and comment is not None:
            answers[str(question.pk)] = comment
    return answers


def answer_all(taught, overall_values, now=None, comments=None):
    """Each of the fixture's members answers, the n-th with overall_values[n]."""
    lecture = taught["lecture"]
    now = now or taught["after"](1)
    evaluation = services.evaluation_open(session=lecture, now=now)
    for index, overall in enumerate(overall_values):
        comment = comments[index] if comments else None
        services.evaluation_submit(
            user=taught["members"][index].user,
            session=lecture,
            answers=sheet(evaluation, overall=overall, comment=comment),
            now=now,
        )
    return evaluation


def close(evaluation):
    """The sweep at the evaluation's closing time: its sealed ballots are opened and counted."""
    counting.evaluations_count_closed(now=evaluation.closes_at)
    return evaluation
