"""Forms of the questionnaire builder (the 问卷 admin). They only read and check input: saving goes
through the services in questionnaires.py. Rating labels and choice options are edited as a textarea
with one entry per line; the model's `clean()` then checks the list (on the field)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.evaluation.models import (
    QUESTION_TYPES,
    MultipleChoiceQuestion,
    Question,
    Questionnaire,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)


class LinesField(forms.CharField):
    """A JSON list of strings edited as lines of text (blank lines are dropped)."""

    widget = forms.Textarea

    def __init__(self, *, rows: int = 5, **kwargs):
        kwargs.setdefault("help_text", _("One per line."))
        super().__init__(strip=False, **kwargs)
        self.widget.attrs["rows"] = rows

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(entry) for entry in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class QuestionnaireForm(forms.ModelForm):
    """A version's title and introduction (saved by `questionnaire_update`)."""

    class Meta:
        model = Questionnaire
        fields = ["title", "intro"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}


class SchoolQuestionnaireForm(forms.Form):
    """Start a school's own questions (saved by `questionnaire_create`)."""

    school = forms.ModelChoiceField(label=_("School"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


COMMON_FIELDS = ["text", "help_text", "required", "code"]


class QuestionForm(forms.ModelForm):
    """The fields every question has; a subclass per question type adds its own."""

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire


class RatingQuestionForm(QuestionForm):
    labels = LinesField(
        label=_("Labels for 1 to 5"),
        help_text=_("Exactly five lines: the label of 1 (lowest) first, of 5 (highest) last."),
    )

    class Meta:
        model = RatingQuestion
        fields = [*COMMON_FIELDS, "labels", "allow_not_applicable", "counts_for_satisfaction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.questionnaire.is_standard:
            # Only the standard form has the overall satisfaction item.
            del self.fields["counts_for_satisfaction"]


class ChoiceQuestionForm(QuestionForm):
    options = LinesField(label=_("Options"), rows=6, help_text=_("One option per line; at least two."))


class SingleChoiceQuestionForm(ChoiceQuestionForm):
    class Meta:
        model = SingleChoiceQuestion
        fields = [*COMMON_FIELDS, "options"]


class MultipleChoiceQuestionForm(ChoiceQuestionForm):
    class Meta:
        model = MultipleChoiceQuestion
        fields = [*COMMON_FIELDS, "options"]


class TextQuestionForm(QuestionForm):
    class Meta:
        model = TextQuestion
        fields = [*COMMON_FIELDS, "max_length"]


QUESTION_FORMS: dict[type[Question], type[QuestionForm]] = {
    RatingQuestion: RatingQuestionForm,
    SingleChoiceQuestion: SingleChoiceQuestionForm,
    MultipleChoiceQuestion: MultipleChoiceQuestionForm,
    TextQuestion: TextQuestionForm,
}
assert set(QUESTION_FORMS) == set(QUESTION_TYPES)  # a new question type needs a form here


def question_type_key(model: type[Question]) -> str:
    """The URL name of a question type: its model name (e.g. "ratingquestion")."""
    return model._meta.model_name


QUESTION_TYPE_KEYS: dict[str, type[Question]] = {question_type_key(model): model for model in QUESTION_TYPES}


def question_form_class(question: Question | type[Question]) -> type[QuestionForm]:
    model = question if isinstance(question, type) else type(question)
    return QUESTION_FORMS[model]
