"""`{% question_input question given %}`: the inputs of one question, by its type."""

from django import template
from django.template.loader import render_to_string

from lms.evaluation.models import (
    NOT_APPLICABLE,
    MultipleChoiceQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
)

register = template.Library()


@register.simple_tag
def question_input(question, given):
    name = f"q{question.pk}"
    if isinstance(question, RatingQuestion):
        context = {
            "name": name,
            "steps": question.steps(),
            "given": str(given or ""),
            "not_applicable": question.allow_not_applicable,
            "na_value": str(NOT_APPLICABLE),
        }
        return render_to_string("evaluation/inputs/rating.html", context)
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        multiple = isinstance(question, MultipleChoiceQuestion)
        chosen = {str(value) for value in (given or [])} if multiple else {str(given or "")}
        options = [(str(index), text, str(index) in chosen) for index, text in enumerate(question.options)]
        context = {"name": name, "options": options, "multiple": multiple}
        return render_to_string("evaluation/inputs/choice.html", context)
    context = {"name": name, "given": given or "", "max_length": question.max_length}
    return render_to_string("evaluation/inputs/text.html", context)
