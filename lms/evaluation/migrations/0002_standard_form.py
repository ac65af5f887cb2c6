"""The organization department's standard teacher-evaluation form, version 1, in use from the start.
Its text is data (like the role names): Chinese, the county's language."""

from django.db import migrations

QUALITY_LABELS = ["很差", "较差", "一般", "较好", "很好"]
SATISFACTION_LABELS = ["很不满意", "不满意", "一般", "满意", "很满意"]

RATINGS = [
    ("preparation", "课前准备充分，讲稿、课件精心准备", QUALITY_LABELS, False, False),
    ("content", "授课内容观点正确、重点突出、内容充实", QUALITY_LABELS, False, False),
    ("relevance", "紧密联系基层工作实际，对工作有指导作用", QUALITY_LABELS, True, False),
    ("delivery", "表达清楚、方法生动，能调动学员学习积极性", QUALITY_LABELS, False, False),
    ("overall", "您对本次授课的总体满意度", SATISFACTION_LABELS, False, True),
]


def create_standard_form(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Questionnaire = apps.get_model("evaluation", "Questionnaire")
    RatingQuestion = apps.get_model("evaluation", "RatingQuestion")
    TextQuestion = apps.get_model("evaluation", "TextQuestion")
    if Questionnaire.objects.filter(kind="standard").exists():
        return
    form = Questionnaire.objects.create(
        kind="standard",
        title="教师授课质量评估表",
        intro="本评估匿名进行，任何人都无法看到您个人的答案。请根据本次授课的实际情况如实评价。",
        version=1,
        status="active",
    )
    rating_type, _ = ContentType.objects.get_or_create(app_label="evaluation", model="ratingquestion")
    text_type, _ = ContentType.objects.get_or_create(app_label="evaluation", model="textquestion")
    for position, (code, text, labels, not_applicable, satisfaction) in enumerate(RATINGS, start=1):
        RatingQuestion.objects.create(
            questionnaire=form,
            sort_order=position,
            code=code,
            text=text,
            labels=labels,
            allow_not_applicable=not_applicable,
            counts_for_satisfaction=satisfaction,
            required=True,
            polymorphic_ctype=rating_type,
        )
    TextQuestion.objects.create(
        questionnaire=form,
        sort_order=len(RATINGS) + 1,
        code="comments",
        text="对本次授课的意见和建议",
        required=False,
        max_length=1000,
        polymorphic_ctype=text_type,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_standard_form, migrations.RunPython.noop)]
