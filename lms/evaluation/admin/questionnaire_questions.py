"""Adding, changing, removing and moving one question of a version. Each form is the ModelForm of the
question's own type; saving goes through `question_add` / `question_update` / `question_delete` /
`question_move`. A refusal naming fields lands on the form; any other (not allowed, answered version,
question limit) is shown as a message on the questionnaire's page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.evaluation.admin.questionnaire_common import (
    QuestionnaireBreadcrumbsMixin,
    ScopedQuestionMixin,
    ScopedQuestionnaireMixin,
    detail_url,
    frozen_notice,
    show_refusal,
)
from lms.evaluation.forms import QUESTION_TYPE_KEYS, question_form_class
from lms.evaluation.questionnaires import question_add, question_delete, question_move, question_update
from lms.people.admin.forms import add_service_errors


class EditableQuestionsMixin:
    """A GET of a form for questions that cannot change sends the user back with the reason (a POST
    goes to the service, which refuses with its own message)."""

    def get(self, request, *args, **kwargs):
        if not self.questions_editable:
            messages.error(
                request, frozen_notice(self.questionnaire, may_edit=self.may_edit, answered=self.answered)
            )
            return self.back_to_questionnaire()
        return super().get(request, *args, **kwargs)


class QuestionFormView(
    EditableQuestionsMixin, QuestionnaireBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "evaluation/admin/question_form.html"
    header_icon = "help"
    submit_label = gettext_lazy("Save")

    def get_question(self):
        raise NotImplementedError

    def save(self, question):
        raise NotImplementedError

    def success_message(self, question) -> str:
        raise NotImplementedError

    def get_form(self, data=None):
        question = self.get_question()
        return question_form_class(question)(data, instance=question, questionnaire=self.questionnaire)

    def get_page_subtitle(self):
        return self.get_question().type_label

    def get_context_data(self, *, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=form or self.get_form(),
            questionnaire=self.questionnaire,
            type_label=self.get_question().type_label,
            submit_label=self.submit_label,
            cancel_url=detail_url(self.questionnaire),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                question = self.save(form.instance)
            except PermissionDenied as error:
                show_refusal(request, error)
                return self.back_to_questionnaire()
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    show_refusal(request, error)
                    return self.back_to_questionnaire()
                add_service_errors(form, error)
            else:
                messages.success(request, self.success_message(question))
                return self.back_to_questionnaire()
        return self.render_to_response(self.get_context_data(form=form))


class QuestionAddView(ScopedQuestionnaireMixin, QuestionFormView):
    page_title = gettext_lazy("Add a question")
    submit_label = gettext_lazy("Add the question")

    def dispatch(self, request, *args, question_type: str, **kwargs):
        model = QUESTION_TYPE_KEYS.get(question_type)
        if model is None:
            raise Http404
        self.new_question = model()
        return super().dispatch(request, *args, **kwargs)

    def get_question(self):
        return self.new_question

    def save(self, question):
        return question_add(actor=self.request.user, questionnaire=self.questionnaire, question=question)

    def success_message(self, question) -> str:
        return _("Question added: “%(text)s”.") % {"text": question.text}


class QuestionEditView(ScopedQuestionMixin, QuestionFormView):
    page_title = gettext_lazy("Change a question")

    def get_question(self):
        return self.question

    def save(self, question):
        return question_update(actor=self.request.user, question=question)

    def success_message(self, question) -> str:
        return _("Question saved: “%(text)s”.") % {"text": question.text}


class QuestionDeleteView(
    ScopedQuestionMixin,
    EditableQuestionsMixin,
    QuestionnaireBreadcrumbsMixin,
    WagtailAdminTemplateMixin,
    TemplateView,
):
    """A confirmation page (GET) whose form POSTs to `question_delete`."""

    template_name = "evaluation/admin/question_delete.html"
    page_title = gettext_lazy("Remove a question")
    header_icon = "bin"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(question=self.question, cancel_url=detail_url(self.questionnaire))
        return context

    def post(self, request, *args, **kwargs):
        try:
            question_delete(actor=request.user, question=self.question)
        except (PermissionDenied, ValidationError) as error:
            show_refusal(request, error)
        else:
            messages.success(request, _("Question removed: “%(text)s”.") % {"text": self.question.text})
        return self.back_to_questionnaire()


class QuestionMoveView(ScopedQuestionMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        offset = {"up": -1, "down": 1}.get(request.POST.get("direction"))
        if offset is None:
            messages.error(request, _("Choose to move the question up or down."))
            return self.back_to_questionnaire()
        try:
            question_move(actor=request.user, question=self.question, offset=offset)
        except (PermissionDenied, ValidationError) as error:
            show_refusal(request, error)
        return self.back_to_questionnaire()
