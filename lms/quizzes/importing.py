"""Question import from the XLSX sheets banks are usually kept in (one row per question).

Columns (Chinese or English headers): 题型 type (单选/多选/判断/填空/简答), 模块 module (通识教育/专业教育/
专题教育), 专题 topic, 难度 difficulty (易/中/难), 题目 question, 选项A…选项H options, 答案 answer (B; ACD;
对/错; fill-in answers separated by | or ；), 解析 explanation, 部分得分 partial credit (是/否), 评分标准
rubric. Row numbers are the sheet's own (the header is row 1). Good rows are saved, bad rows reported
with what is wrong; topics are created as needed.
"""

import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lms.quizzes import selectors
from lms.quizzes.models import QUESTION_TYPES, Category, Difficulty, Module, normalise_text

MAX_ROWS = 5000
OPTION_LETTERS = "ABCDEFGH"

HEADERS = {
    "type": ("题型", "type"),
    "module": ("模块", "module"),
    "topic": ("专题", "topic", "category"),
    "difficulty": ("难度", "difficulty"),
    "text": ("题目", "题干", "question"),
    "answer": ("答案", "answer"),
    "explanation": ("解析", "explanation"),
    "partial": ("部分得分", "partial credit"),
    "rubric": ("评分标准", "rubric"),
    **{f"option_{letter}": (f"选项{letter}", f"option {letter.lower()}") for letter in OPTION_LETTERS},
}
TEMPLATE_COLUMNS = [
    "题型",
    "模块",
    "专题",
    "难度",
    "题目",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "解析",
    "部分得分",
    "评分标准",
]
TYPES = {
    "单选": "single", "单选题": "single", "single": "single",
    "多选": "multiple", "多选题": "multiple", "multiple": "multiple",
    "判断": "true_false", "判断题": "true_false", "true_false": "true_false", "true/false": "true_false",
    "填空": "fill", "填空题": "fill", "fill": "fill",
    "简答": "essay", "简答题": "essay", "论述": "essay", "论述题": "essay", "essay": "essay",
}  # fmt: skip
MODULES = {str(label): value for value, label in Module.choices} | {value: value for value in Module.values}
MODULES |= {"通识教育": "general", "专业教育": "professional", "专题教育": "thematic"}
DIFFICULTIES = {"易": "easy", "容易": "easy", "中": "medium", "中等": "medium", "难": "hard", "困难": "hard"}
DIFFICULTIES |= {value: value for value in Difficulty.values}
TRUE_WORDS = {"对", "正确", "是", "√", "true", "t", "yes", "y"}
FALSE_WORDS = {"错", "错误", "否", "×", "false", "f", "no", "n"}


class ImportFileError(Exception):
    pass


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _key(text) -> str:
    return normalise_text(text or "")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def template_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(TEMPLATE_COLUMNS)
    sheet.append(
        [
            "单选",
            "专题教育",
            "党史",
            "易",
            "中国共产党成立于哪一年？",
            "1919",
            "1921",
            "1949",
            "",
            "B",
            "1921年7月中共一大召开。",
            "",
            "",
        ]
    )
    sheet.append(
        [
            "多选",
            "通识教育",
            "党章",
            "中",
            "下列属于“四个意识”的有？",
            "政治意识",
            "大局意识",
            "市场意识",
            "核心意识",
            "ABD",
            "",
            "是",
            "",
        ]
    )
    sheet.append(
        [
            "判断",
            "通识教育",
            "党章",
            "易",
            "党的最高领导机关是党的全国代表大会。",
            "",
            "",
            "",
            "",
            "对",
            "",
            "",
            "",
        ]
    )
    sheet.append(
        [
            "填空",
            "通识教育",
            "党章",
            "易",
            "党的根本宗旨是全心全意为____服务。",
            "",
            "",
            "",
            "",
            "人民|人民群众",
            "",
            "",
            "",
        ]
    )
    sheet.append(["简答", "专题教育", "党史", "难", "谈谈你对“两个维护”的理解。", "", "", "", "", "", "", "",
                  "观点正确5分，联系实际5分"])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(data: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(_("This is not an XLSX workbook.")) from error
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None)
    if not header:
        raise ImportFileError(_("The sheet is empty."))
    columns = {}
    for index, name in enumerate(header):
        key = _key(name)
        for field_name, names in HEADERS.items():
            if key in {_key(n) for n in names}:
                columns[field_name] = index
    missing = [HEADERS[name][0] for name in ("type", "module", "topic", "text") if name not in columns]
    if missing:
        raise ImportFileError(_("Columns missing: %(columns)s.") % {"columns": "、".join(missing)})
    for number, cells in enumerate(lines, start=2):
        if number > MAX_ROWS + 1:
            raise ImportFileError(_("At most %(n)s questions per file.") % {"n": MAX_ROWS})
        row = {name: _cell(cells[i]) if i < len(cells) else "" for name, i in columns.items()}
        if any(row.values()):
            yield number, row


def _letters(answer: str, count: int) -> list[int]:
    letters = [c for c in normalise_text(answer).upper() if c.isalpha()]
    indexes = [OPTION_LETTERS.find(c) for c in letters]
    if not indexes or any(i < 0 or i >= count for i in indexes):
        raise ValidationError(_("The answer must be letters of the options given (e.g. B or ACD)."))
    return indexes


def _question_fields(row: dict, categories: dict) -> tuple[str, dict]:
    type_code = TYPES.get(_key(row.get("type")))
    if type_code is None:
        raise ValidationError(_("Unknown question type “%(value)s”.") % {"value": row.get("type")})
    module = MODULES.get(row.get("module", "").strip()) or MODULES.get(_key(row.get("module")))
    if module is None:
        raise ValidationError(_("Unknown module “%(value)s”.") % {"value": row.get("module")})
    topic = row.get("topic", "").strip()
    if not topic:
        raise ValidationError(_("The topic is missing."))
    difficulty = DIFFICULTIES.get(_key(row.get("difficulty")) or "medium")
    if difficulty is None:
        raise ValidationError(_("Unknown difficulty “%(value)s”.") % {"value": row.get("difficulty")})
    if not row.get("text"):
        raise ValidationError(_("The question is missing."))
    if (module, topic) not in categories:
        categories[(module, topic)] = Category.objects.get_or_create(module=module, name=topic)[0]
    fields = {
        "category": categories[(module, topic)],
        "difficulty": difficulty,
        "text": row["text"],
        "explanation": row.get("explanation", ""),
    }
    options = [row.get(f"option_{letter}", "") for letter in OPTION_LETTERS]
    while options and not options[-1]:
        options.pop()
    answer = row.get("answer", "")
    if type_code in ("single", "multiple"):
        fields["options"] = options
        chosen = _letters(answer, len(options))
        if type_code == "single":
            if len(chosen) != 1:
                raise ValidationError(_("A single-choice question has exactly one answer."))
            fields["correct"] = chosen[0]
        else:
            fields["correct"] = sorted(set(chosen))
            fields["partial_credit"] = _key(row.get("partial")) in TRUE_WORDS
    elif type_code == "true_false":
        word = _key(answer)
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValidationError(_("Answer 对 or 错."))
        fields["correct"] = word in TRUE_WORDS
    elif type_code == "fill":
        accepted = [
            part.strip() for part in answer.replace("；", "|").replace(";", "|").split("|") if part.strip()
        ]
        fields["accepted"] = accepted
    else:
        fields["rubric"] = row.get("rubric", "")
    return type_code, fields


def questions_import(*, user, data: bytes, school=None) -> ImportReport:
    """Import every good row into the bank of `school` (None: the county bank)."""
    if not selectors.can_edit_bank(user, school):
        raise PermissionDenied(_("You may not change this question bank."))
    report = ImportReport()
    categories: dict = {}
    for number, row in _rows(data):
        try:
            type_code, fields = _question_fields(row, categories)
            question = QUESTION_TYPES[type_code](school=school, created_by=user, **fields)
            question.full_clean()
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            text = "；".join(m for values in messages.values() for m in values)
            report.errors.append((number, text))
            continue
        with transaction.atomic():
            question.save()
        report.created += 1
    return report
