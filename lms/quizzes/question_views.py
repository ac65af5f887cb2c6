"""Editing a question of the bank in the admin (题库 → a question): every type's own fields (options
and the right ones, partial credit, true or false, accepted answers, rubric) besides the text,
category, difficulty and explanation. Saved through `services.question_edit`: a question already put
to someone is frozen, and saving makes a new version (the page says so); one not yet asked changes in
place. Scoped as the bank: township staff edit their township's bank, the county bank is the city
school's and the organization department's; the county bank is read-only to township staff."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.quizzes import selectors, services
from lms.quizzes.importing import OPTION_LETTERS, _letters
from lms.quizzes.models import Category, Difficulty, Question
from lms.quizzes.staff_views import StaffView

# The form's fields each type has besides the common ones.
TYPE_FIELDS = {
    "single": ("options", "answer"),
    "multiple": ("options", "answer", "partial_credit"),
    "true_false": ("statement_true",),
    "fill": ("accepted",),
    "essay": ("rubric",),
}
# A model field's error shown at the form's field that sets it.
MODEL_TO_FORM = {
    "options": "options",
    "correct": "answer",
    "accepted": "accepted",
    "rubric": "rubric",
    "category": "category",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Question"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.all())
    difficulty = forms.ChoiceField(label=gettext_lazy("Difficulty"), choices=Difficulty.choices)
    options = forms.CharField(
        label=gettext_lazy("Options"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One option a line, in order: the first is A, the second B, and so on."),
    )
    answer = forms.CharField(
        label=gettext_lazy("Right options"),
        max_length=20,
        help_text=gettext_lazy("Their letters, e.g. B, or ACD for a multiple-choice question."),
    )
    partial_credit = forms.BooleanField(
        label=gettext_lazy("Partial credit"),
        required=False,
        help_text=gettext_lazy(
            "Each right option chosen earns its share, each wrong one takes a share away (never below "
            "zero). Otherwise only the exact set earns the points."
        ),
    )
    statement_true = forms.TypedChoiceField(
        label=gettext_lazy("The statement is"),
        choices=[("1", gettext_lazy("True")), ("0", gettext_lazy("False"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    accepted = forms.CharField(
        label=gettext_lazy("Accepted answers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One a line. Full-width and half-width characters, spaces and case are ignored."
        ),
    )
    rubric = forms.CharField(
        label=gettext_lazy("Marking rubric"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    explanation = forms.CharField(
        label=gettext_lazy("Explanation"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown to members at review, as the paper allows."),
    )

    def __init__(self, *args, question: Question, **kwargs):
        self.question = question
        self.type_code = question.type_code
        if "data" not in kwargs and not args:
            kwargs["initial"] = self.initial_from(question)
        super().__init__(*args, **kwargs)
        for name in {field for fields in TYPE_FIELDS.values() for field in fields}:
            if name not in TYPE_FIELDS[self.type_code]:
                del self.fields[name]

    @staticmethod
    def initial_from(question: Question) -> dict:
        initial = {
            "text": question.text,
            "category": question.category_id,
            "difficulty": question.difficulty,
            "explanation": question.explanation,
        }
        code = question.type_code
        if code in ("single", "multiple"):
            initial["options"] = "\n".join(str(option) for option in question.options)
            right = [question.correct] if code == "single" else question.correct
            initial["answer"] = "".join(OPTION_LETTERS[i] for i in sorted(right) if i < len(OPTION_LETTERS))
        if code == "multiple":
            initial["partial_credit"] = question.partial_credit
        if code == "true_false":
            initial["statement_true"] = "1" if question.correct else "0"
        if code == "fill":
            initial["accepted"] = "\n".join(question.accepted)
        if code == "essay":
            initial["rubric"] = question.rubric
        return initial

    def clean(self):
        data = super().clean()
        if self.type_code in ("single", "multiple") and "options" in data:
            options = _lines(data["options"])
            if len(options) > len(OPTION_LETTERS):
                self.add_error("options", _("Give at most %(n)s options.") % {"n": len(OPTION_LETTERS)})
                return data
            if "answer" in data:
                try:
                    right = _letters(data["answer"], len(options))
                except ValidationError as error:
                    self.add_error("answer", error)
                    return data
                if self.type_code == "single" and len(right) != 1:
                    self.add_error("answer", _("A single-choice question needs exactly one right option."))
                    return data
                data["changes_options"] = options
                data["changes_correct"] = right[0] if self.type_code == "single" else sorted(set(right))
        return data

    def changes(self) -> dict:
        """The question's fields as `services.question_edit` takes them."""
        data = self.cleaned_data
        changes = {
            "text": data["text"],
            "category_id": data["category"].pk,  # a new version starts from the old one's attnames
            "difficulty": data["difficulty"],
            "explanation": data.get("explanation", ""),
        }
        if self.type_code in ("single", "multiple"):
            changes.update(options=data["changes_options"], correct=data["changes_correct"])
        if self.type_code == "multiple":
            changes["partial_credit"] = data["partial_credit"]
        if self.type_code == "true_false":
            changes["correct"] = data["statement_true"]
        if self.type_code == "fill":
            changes["accepted"] = _lines(data["accepted"])
        if self.type_code == "essay":
            changes["rubric"] = data["rubric"]
        return changes

    def add_model_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            field = MODEL_TO_FORM.get(name, name)
            self.add_error(field if field in self.fields else None, errors)


class QuestionEdit(StaffView):
    template_name = "quizzes/admin/question_form.html"
    page_title = gettext_lazy("Edit question")

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("quizzes_admin:bank"), "label": _("Question bank")},
            {"url": "", "label": self.get_page_title()},
        ]

    def question(self) -> Question:
        """The current version of a question the user may edit (404 if they cannot read it, 403 if they
        may only read it)."""
        question = (
            selectors.questions_for_staff(self.request.user)
            .filter(pk=self.kwargs["question_id"], is_current=True)
            .first()
        )
        if question is None:
            raise Http404
        if not selectors.can_edit_bank(self.request.user, question.school):
            raise PermissionDenied
        return question

    def get_context_data(self, **kwargs):
        question = kwargs.pop("question", None) or self.question()
        return {
            **super().get_context_data(**kwargs),
            "question": question,
            "form": kwargs.get("form") or QuestionForm(question=question),
            "next_version": question.version + 1,
        }

    def post(self, request, *args, **kwargs):
        question = self.question()
        form = QuestionForm(request.POST, question=question)
        if form.is_valid():
            try:
                saved = services.question_edit(user=request.user, question=question, **form.changes())
            except services.QuizRefused as refused:
                form.add_error(None, refused.messages[0])
            except ValidationError as error:
                form.add_model_errors(error)
            else:
                if saved.pk != question.pk:
                    saved_as = _("Saved as version %(version)s; papers now use it, attempts keep theirs.")
                    messages.success(request, saved_as % {"version": saved.version})
                else:
                    messages.success(request, _("Question saved."))
                return redirect("quizzes_admin:question", question_id=saved.pk)
        return self.render_to_response(self.get_context_data(question=question, form=form))
