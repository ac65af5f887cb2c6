from tests.attendance.conftest import held  # noqa: F401 (the class and lecture the rooms are for)
