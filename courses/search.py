"""Chinese-friendly full-text search on Wagtail's database backend.

Chinese is written without spaces, so SQLite FTS and PostgreSQL's "simple" configuration see a whole
phrase as one word and a search for part of it finds nothing. We index a copy of the text with a space
around every CJK character and search the same way with AND, so "振兴" finds "乡村振兴专题".
"""

import re

CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def cjk_spaced(text: str) -> str:
    return " ".join(CJK.sub(r" \1 ", text or "").split())
