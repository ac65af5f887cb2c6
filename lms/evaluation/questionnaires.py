"""Writes about questionnaires: who may edit which, questions added, changed, moved and removed,
new versions and putting a version in use.

The organization department owns the standard form; a school's staff own their school's extra
questions (asked after the standard ones; they cannot touch the standard form). A version that has
been answered is frozen: its questions cannot change, be added, moved or removed, because that would
change what the counted answers mean. Staff make a new version instead; sessions already opened keep
the version they were opened with.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from wagtail.models import Page

from lms.evaluation.models import (
    Question,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    RatingQuestion,
    SessionEvaluation,
    Submission,
)
from lms.people.selectors import is_org_dept
from lms.scheduling.selectors import schools_for_user

SCHOOL_QUESTIONS_MAX = 10  # a school's additions stay short: members answer on a phone


def can_edit_questionnaire(user, questionnaire: Questionnaire) -> bool:
    if questionnaire.kind == QuestionnaireKind.STANDARD:
        return is_org_dept(user)
    return is_org_dept(user) or schools_for_user(user).filter(pk=questionnaire.school_id).exists()


def _check_edit(actor, questionnaire: Questionnaire) -> None:
    if not can_edit_questionnaire(actor, questionnaire):
        raise PermissionDenied(_("You may not change this questionnaire."))


def _evaluations_using(questionnaire: Questionnaire):
    """The session evaluations that were handed out with this version."""
    return SessionEvaluation.objects.filter(Q(standard_form=questionnaire) | Q(school_form=questionnaire))


def is_answered(questionnaire: Questionnaire) -> bool:
    return Submission.objects.filter(evaluation__in=_evaluations_using(questionnaire)).exists()


def _check_not_answered(questionnaire: Questionnaire) -> None:
    if is_answered(questionnaire):
        raise ValidationError(
            _("This version has been answered, so its questions cannot change. Make a new version.")
        )


@transaction.atomic
def questionnaire_create(*, actor, school, title: str, intro: str = "") -> Questionnaire:
    """A school's own questions (a draft). The standard form exists from the start."""
    if not (is_org_dept(actor) or schools_for_user(actor).filter(pk=school.pk).exists()):
        raise PermissionDenied(_("You may not add questions for this school."))
    # Lock the school's page row so two staff starting a set at once make one, not two.
    Page.objects.select_for_update().filter(pk=school.pk).first()
    if Questionnaire.objects.filter(school=school).exclude(status=QuestionnaireStatus.RETIRED).exists():
        raise ValidationError(_("This school already has its questions; edit them or make a new version."))
    questionnaire = Questionnaire(kind=QuestionnaireKind.SCHOOL, school=school, title=title, intro=intro)
    questionnaire.full_clean()
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_update(
    *, actor, questionnaire: Questionnaire, title: str, intro: str = ""
) -> Questionnaire:
    """The title and introduction can change at any time: they do not change what answers mean."""
    _check_edit(actor, questionnaire)
    questionnaire.title, questionnaire.intro = title, intro
    questionnaire.full_clean()
    questionnaire.save(update_fields=["title", "intro", "updated_at"])
    return questionnaire


def _check_question(questionnaire: Questionnaire, question: Question) -> None:
    question.full_clean(exclude=["questionnaire", "sort_order"])
    if isinstance(question, RatingQuestion) and question.counts_for_satisfaction:
        if questionnaire.kind != QuestionnaireKind.STANDARD:
            raise ValidationError(
                {"counts_for_satisfaction": _("Only the standard form has the overall satisfaction item.")}
            )
        others = RatingQuestion.objects.filter(questionnaire=questionnaire, counts_for_satisfaction=True)
        if others.exclude(pk=question.pk).exists():
            raise ValidationError(
                {"counts_for_satisfaction": _("The form already has an overall satisfaction item.")}
            )


@transaction.atomic
def question_add(*, actor, questionnaire: Questionnaire, question: Question) -> Question:
    """Append a question (of any type) to an unanswered version."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    _check_edit(actor, questionnaire)
    _check_not_answered(questionnaire)
    count = questionnaire.questions.count()
    if questionnaire.kind == QuestionnaireKind.SCHOOL and count >= SCHOOL_QUESTIONS_MAX:
        raise ValidationError(
            _("A school may add at most %(limit)s questions.") % {"limit": SCHOOL_QUESTIONS_MAX}
        )
    question.questionnaire = questionnaire
    question.sort_order = (max(questionnaire.questions.values_list("sort_order", flat=True), default=0)) + 1
    _check_question(questionnaire, question)
    question.save()
    return question


@transaction.atomic
def question_update(*, actor, question: Question) -> Question:
    """Save changes to a question of an unanswered version (the caller has set its fields)."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
    _check_edit(actor, questionnaire)
    _check_not_answered(questionnaire)
    _check_question(questionnaire, question)
    question.save()
    return question


@transaction.atomic
def question_delete(*, actor, question: Question) -> None:
    questionnaire = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
    _check_edit(actor, questionnaire)
    _check_not_answered(questionnaire)
    if _evaluations_using(questionnaire).exists():
        # Handed out but unanswered: its zero counters refer to the question; they go with it.
        question.tallies.all().delete()
    question.delete()


@transaction.atomic
def question_move(*, actor, question: Question, offset: int) -> None:
    """Move a question up (-1) or down (+1) among its questionnaire's questions."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
    _check_edit(actor, questionnaire)
    _check_not_answered(questionnaire)
    questions = list(questionnaire.questions.order_by("sort_order", "id"))
    index = next(i for i, one in enumerate(questions) if one.pk == question.pk)
    target = index + offset
    if not 0 <= target < len(questions):
        return
    questions[index], questions[target] = questions[target], questions[index]
    for position, one in enumerate(questions, start=1):
        if one.sort_order != position:
            Question.objects.filter(pk=one.pk).update(sort_order=position)


@transaction.atomic
def questionnaire_new_version(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    """A draft copy of a version, with all its questions, to change and put in use."""
    _check_edit(actor, questionnaire)
    if hasattr(questionnaire, "next_version"):
        raise ValidationError(
            _("Version %(version)s already has a newer version.") % {"version": questionnaire.version}
        )
    copy = Questionnaire.objects.create(
        kind=questionnaire.kind,
        school=questionnaire.school,
        title=questionnaire.title,
        intro=questionnaire.intro,
        version=questionnaire.version + 1,
        previous=questionnaire,
    )
    for question in questionnaire.questions.order_by("sort_order", "id"):
        question.pk = question.id = None  # a multi-table child: both links cleared to insert anew
        question._state.adding = True
        question.questionnaire = copy
        question.save()
    return copy


@transaction.atomic
def questionnaire_activate(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    """Put a draft in use; the version in use before it is retired. Sessions already opened keep theirs."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    _check_edit(actor, questionnaire)
    if questionnaire.status != QuestionnaireStatus.DRAFT:
        raise ValidationError(_("Only a draft can be put in use."))
    questions = list(questionnaire.questions.all())
    if not questions:
        raise ValidationError(_("Add at least one question first."))
    if questionnaire.kind == QuestionnaireKind.STANDARD and not any(
        isinstance(q, RatingQuestion) and q.counts_for_satisfaction for q in questions
    ):
        raise ValidationError(_("The standard form needs an overall satisfaction item (a rating question)."))
    in_use = Questionnaire.objects.select_for_update().filter(
        kind=questionnaire.kind, school=questionnaire.school, status=QuestionnaireStatus.ACTIVE
    )
    in_use.update(status=QuestionnaireStatus.RETIRED)
    questionnaire.status = QuestionnaireStatus.ACTIVE
    questionnaire.save(update_fields=["status", "updated_at"])
    return questionnaire


@transaction.atomic
def questionnaire_retire(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    """A school stops asking its own questions (the standard form cannot be retired, only replaced)."""
    _check_edit(actor, questionnaire)
    if questionnaire.kind == QuestionnaireKind.STANDARD:
        raise ValidationError(_("The standard form cannot be withdrawn; put a new version in use instead."))
    questionnaire.status = QuestionnaireStatus.RETIRED
    questionnaire.save(update_fields=["status", "updated_at"])
    return questionnaire
