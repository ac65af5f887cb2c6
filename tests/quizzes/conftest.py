import pytest

from lms.quizzes.models import (
    Category,
    EssayQuestion,
    FillBlankQuestion,
    Module,
    MultipleChoiceQuestion,
    Paper,
    PaperKind,
    PaperPart,
    PaperStatus,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)
from tests import factories


@pytest.fixture
def history(db):
    return Category.objects.create(module=Module.THEMATIC, name="党史")


@pytest.fixture
def bank(history):
    """One question of each type in the county bank."""
    return {
        "single": SingleChoiceQuestion.objects.create(
            category=history,
            text="中国共产党成立于哪一年？",
            options=["1919", "1921", "1949"],
            correct=1,
            explanation="1921年7月，中共一大召开。",
        ),
        "multiple": MultipleChoiceQuestion.objects.create(
            category=history,
            text="下列哪些属于“四个意识”？",
            options=["政治意识", "大局意识", "市场意识", "核心意识"],
            correct=[0, 1, 3],
            partial_credit=True,
        ),
        "true_false": TrueFalseQuestion.objects.create(
            category=history, text="党的最高领导机关是党的全国代表大会。", correct=True
        ),
        "fill": FillBlankQuestion.objects.create(
            category=history, text="党的根本宗旨是全心全意为____服务。", accepted=["人民"]
        ),
        "essay": EssayQuestion.objects.create(
            category=history, text="谈谈你对“两个维护”的理解。", rubric="观点正确 5 分；联系实际 5 分。"
        ),
    }


def fixed_paper(school, questions, **fields):
    fields.setdefault("title", "党史测验")
    fields.setdefault("status", PaperStatus.PUBLISHED)
    paper = Paper.objects.create(school=school, **fields)
    for position, question in enumerate(questions):
        PaperPart.objects.create(paper=paper, position=position, question=question, points=10)
    return paper


@pytest.fixture
def paper(county, bank):
    """The city school's exam for all members, every type, 10 points each, 30 minutes, one attempt."""
    teacher = factories.TeacherFactory(user=factories.UserFactory(username="marker1"))
    paper = fixed_paper(
        county["city"], list(bank.values()), kind=PaperKind.EXAM, time_limit_minutes=30, pass_percent=60
    )
    paper.teachers.add(teacher)
    return paper
