import re
from datetime import datetime
from zoneinfo import ZoneInfo

from lms.people.services import member_upsert

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
NEW_PASSWORD = "Dangxiao-2026"


def new_member(branch, phone="13912340001", name="李新"):
    """A member as staff, the import or the API create them: no usable password."""
    member, _created = member_upsert(name=name, phone=phone, branch=branch)
    return member


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)
