"""The Chinese catalogue is complete and the committed .mo matches the .po."""

import ast
import gettext
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr / msgstr[n], and flags."""
    entries, entry, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("#,")):
            continue
        if line.startswith("#,"):
            entry = {"flags": line[2:]}
            entries.append(entry)
            key = None
            continue
        if line.startswith('"'):
            entry[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        if key == "msgid" and (entry is None or "msgid" in entry):
            entry = {"flags": ""}
            entries.append(entry)
        entry[key] = ast.literal_eval(value)
    return [e for e in entries if e.get("msgid")]


def test_every_string_has_a_chinese_translation():
    entries = read_po(PO)
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    catalogue = gettext.GNUTranslations(open(PO.with_suffix(".mo"), "rb"))  # noqa: SIM115
    for entry in read_po(PO):
        if "msgid_plural" in entry:
            assert catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]


def test_chinese_month_and_day_are_written_without_a_leading_zero():
    from datetime import date

    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("zh-hans"):
        assert date_format(date(2027, 1, 4), "MONTH_DAY_FORMAT") == "1月4日"
        assert date_format(date(2027, 1, 4), "SHORT_DATE_FORMAT") == "2027年1月4日"
