"""Benchmark a theory exam's last minutes against a real server (uvicorn, 2 workers, PostgreSQL,
production settings), compared in the same run with /healthz/, a view that does nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/exam_deadline.py [N]

It migrates a throwaway database (BENCH_DB, default `lms_bench_exam`) and builds one exam of
QUESTIONS (default 20) single-choice questions, options shuffled per member, for N members (default
2,000), each with an API token and an attempt started (through the service, as the API would). Then it
starts uvicorn, warms both workers and times, with CONCURRENCY workers (default 20) on keep-alive
connections:

- `GET /healthz/` before and after the rest; the faster of the two is the baseline;
- the last minutes: every member saves an answer to every question (`PUT …/answers/<n>`, N × QUESTIONS
  requests, the members interleaved as they would be in a room), a tenth of them changing their mind
  once more on the first question (the later answer must win);
- the deadline: all members but a twentieth submit at once (`POST …/submit`), as fast as the server
  takes them (harsher than "within the same 30 seconds": the time all submits took is printed);
- time runs out for the rest: their deadline is moved to now, one of them tries to save (must be
  refused, 409 `time_up`) and the sweep (`attempts_expire`) submits the others.

Checks, from what the server answered and committed (each can fail):
- every save answered 200; every submit answered 200 with the status `released` and the score the
  member's answers earn (computed here from the stored option order and the correct options);
- zero lost answers: every stored answer is the last one the member sent;
- every attempt marked: submitted ones and expired ones alike released, with their scores; the late
  save refused and not stored;
- ratios against healthz: saves ≥ SAVE_GOAL (0.3), submits ≥ SUBMIT_GOAL (0.1).

It prints every figure even when a step fails, stops the server's whole process group, prints one
`BENCH {json}` line for `make bench` and exits 1 when a check fails. BENCH_BREAK=late lets the
expired members' attempts stay open (no sweep): the run must then fail.
"""

import json
import os
import signal
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkin_burst import ENV as CHECKIN_ENV  # noqa: E402
from checkin_burst import HOST, Server, free_port  # noqa: E402
from demo_members import create, database_url, drop, server  # noqa: E402
from http_load import Request, burst, figures  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "lms_bench_exam")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "20"))
QUESTIONS = int(os.environ.get("QUESTIONS", "20"))
SAVE_GOAL = float(os.environ.get("SAVE_GOAL", "0.3"))
SUBMIT_GOAL = float(os.environ.get("SUBMIT_GOAL", "0.1"))
ENV = {**CHECKIN_ENV, "STATIC_ROOT": f"/tmp/{BENCH_DB}-static"}


def prepare(members: int):
    """The exam, its members (tokens) and their open attempts; returns (paper, people) where each
    person is a dict: member id, token, attempt id, option orders and correct option per position."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from wagtail.models import APIToken

    from lms.people.models import Member
    from lms.people.roles import Role
    from lms.people.services import roles_ensure
    from lms.quizzes import services
    from lms.quizzes.models import (
        AttemptQuestion,
        Category,
        Module,
        Paper,
        PaperKind,
        PaperPart,
        PaperStatus,
        SingleChoiceQuestion,
    )
    from tests import factories

    city = factories.city_school()
    towns = [factories.township_school(city, f"考试{i}镇党校") for i in range(3)]
    branches = [factories.BranchFactory(township=t, name=f"{t.title}第一支部") for t in towns]
    category = Category.objects.create(module=Module.THEMATIC, name="党史")
    questions = [
        SingleChoiceQuestion.objects.create(
            category=category, text=f"第{i + 1}题", options=["甲", "乙", "丙", "丁"], correct=i % 4
        )
        for i in range(QUESTIONS)
    ]
    now = timezone.now()
    paper = Paper.objects.create(
        school=city,
        title="基准理论考试",
        kind=PaperKind.EXAM,
        status=PaperStatus.PUBLISHED,
        time_limit_minutes=120,
        shuffle_questions=True,
        shuffle_options=True,
        opens_at=now - timedelta(minutes=30),
    )
    paper.townships.set(towns)
    PaperPart.objects.bulk_create(
        [PaperPart(paper=paper, position=i, question=q, points=5) for i, q in enumerate(questions)]
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"1880{i:07d}", first_name=f"考生{i:05d}", password="!") for i in range(members)]
    )
    rows = Member.objects.bulk_create(
        [
            Member(user=u, name=u.first_name, phone=u.username, branch=branches[i % len(branches)])
            for i, u in enumerate(users)
        ]
    )
    group = roles_ensure()[Role.MEMBER]
    User.groups.through.objects.bulk_create([User.groups.through(user=u, group=group) for u in users])
    correct = {q.pk: q.correct for q in questions}
    people = []
    for user, member in zip(users, rows, strict=True):
        attempt, _created = services.attempt_start(user=user, paper=paper)
        people.append(
            {
                "member": member.pk,
                "attempt": attempt.pk,
                "token": APIToken.create_token(user=user, name="bench")[1],
            }
        )
    slots = AttemptQuestion.objects.filter(attempt__paper=paper).values_list(
        "attempt_id", "position", "option_order", "question_id"
    )
    by_attempt: dict[int, dict[int, tuple[list[int], int]]] = {}
    for attempt_id, position, order, question_id in slots:
        by_attempt.setdefault(attempt_id, {})[position] = (order, correct[question_id])
    for person in people:
        person["slots"] = by_attempt[person["attempt"]]
    return paper, people


def auth(person) -> dict:
    return {"Authorization": f"Bearer {person['token']}", "Content-Type": "application/json"}


def save(person, position: int, shown: int) -> Request:
    body = json.dumps({"value": shown}).encode()
    path = f"/api/v1/quizzes/attempts/{person['attempt']}/answers/{position}"
    return Request("PUT", path, auth(person), body, tag=(person, position, shown))


def submit(person) -> Request:
    return Request("POST", f"/api/v1/quizzes/attempts/{person['attempt']}/submit", auth(person), tag=person)


def choice(index: int, position: int) -> int:
    """The option (as shown) member `index` picks for a question: some right, some wrong."""
    return (index * 7 + position * 3) % 4


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        return 2
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bench_url = database_url(url, BENCH_DB)
    os.environ.update({**ENV, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "lms.settings"})
    os.environ.pop("DB_POOL_SIZE")
    server(url, drop(BENCH_DB), create(BENCH_DB))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from lms.quizzes import services
    from lms.quizzes.models import Attempt, AttemptQuestion, AttemptStatus

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"name": "exam_deadline", "members": members, "questions": QUESTIONS}
    notes: list[tuple[str, object]] = []
    failures: list[str] = []
    figs = {}
    goals = {"save": SAVE_GOAL, "submit": SUBMIT_GOAL}
    srv = None

    def report():
        print(f"\nconcurrency {CONCURRENCY}, uvicorn 2 workers, PostgreSQL, {members} members × {QUESTIONS}")
        base = max((figs[k].rate for k in ("healthz", "healthz_after") if k in figs), default=0)
        for key, fig in figs.items():
            ratio = f"{fig.rate / base:5.2f}×" if base and not key.startswith("healthz") else ""
            goal = f"(goal ≥ {goals[key]:.2f})" if key in goals else ""
            print(
                f"{fig.label:<30}{fig.requests:>7} req {fig.rate:8.1f} req/s  p50 {fig.p50:7.1f} ms"
                f"  p99 {fig.p99:7.1f} ms  {ratio:<8} {goal}"
            )
            results[f"{key}_rps"] = round(fig.rate, 1)
            results[f"{key}_p99_ms"] = round(fig.p99, 1)
            if base and not key.startswith("healthz"):
                results[f"{key}_ratio"] = round(fig.rate / base, 3)
        for label, value in notes:
            print(f"{label:<30}{value}")
        for key, goal in goals.items():
            ratio = results.get(f"{key}_ratio")
            if ratio is None:
                failures.append(f"{key} not measured")
            elif ratio < goal:
                failures.append(f"{key} ratio {ratio:.2f} below {goal:.2f}")
        for failure in failures:
            print(f"FAILED: {failure}")
        results["passed"] = not failures
        results["failures"] = "; ".join(failures)
        print("BENCH " + json.dumps(results, ensure_ascii=False))

    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.perf_counter()
        paper, people = prepare(members)
        notes.append(("setup", f"{members} attempts started, {time.perf_counter() - started:.0f} s"))
        connections.close_all()
        port = free_port()
        srv = Server(bench_url, port, Path(f"/tmp/{BENCH_DB}-uvicorn.log"))
        srv.warm()

        def timed(key, label, jobs):
            seconds, answers, errors = burst(HOST, port, jobs, CONCURRENCY)
            figs[key] = figures(label, seconds, answers)
            if errors:
                failures.append(f"{label}: {len(errors)} transport errors, e.g. {errors[0]}")
            return answers, seconds

        warm = [[Request("GET", "/healthz/")] for _ in range(4 * CONCURRENCY)]
        burst(HOST, port, warm, 2 * CONCURRENCY)
        healthz = [[Request("GET", "/healthz/")] for _ in range(max(2000, members))]
        timed("healthz", "GET /healthz/", healthz)

        # The last minutes: every member answers every question, interleaved; a tenth change their
        # mind on question 1 afterwards.
        sent: dict[tuple[int, int], int] = {}
        jobs = []
        for position in range(1, QUESTIONS + 1):
            for index, person in enumerate(people):
                jobs.append([save(person, position, choice(index, position))])
        for index, person in enumerate(people[::10]):
            jobs.append([save(person, 1, (choice(index * 10, 1) + 1) % 4)])
        answers, _s = timed("save", "PUT …/answers/<n>", jobs)
        refused = [a for a in answers if a.status != 200]
        if refused:
            failures.append(
                f"{len(refused)} saves not 200, e.g. {refused[0].status} {refused[0].body[:200]!r}"
            )
        for answer in answers:
            if answer.status == 200:
                person, position, shown = answer.request.tag
                sent[(person["attempt"], position)] = shown

        # The deadline: all but a twentieth submit at once.
        late = people[::20]
        late_ids = {p["attempt"] for p in late}
        on_time = [p for p in people if p["attempt"] not in late_ids]
        answers, seconds = timed("submit", "POST …/submit", [[submit(p)] for p in on_time])
        notes.append(("all submits took", f"{seconds:.1f} s for {len(on_time)} members"))

        def expected_score(person) -> Decimal:
            score = Decimal(0)
            for position, (order, right) in person["slots"].items():
                shown = sent.get((person["attempt"], position))
                if shown is not None and order[shown] == right:
                    score += 5
            return score

        wrong_submits = 0
        for answer in answers:
            person = answer.request.tag
            if answer.status != 200:
                wrong_submits += 1
                continue
            data = json.loads(answer.body)
            if data["status"] != "released" or Decimal(str(data["score"])) != expected_score(person):
                wrong_submits += 1
        if wrong_submits:
            failures.append(f"{wrong_submits} submits not answered released with the right score")

        # Time runs out for the rest: one more save is refused, the sweep submits them.
        Attempt.objects.filter(pk__in=late_ids).update(deadline=timezone.now())
        time.sleep(0.05)
        probe, _s = timed("late_save", "PUT after the deadline", [[save(late[0], 1, 3)]])
        if probe[0].status != 409 or b"time_up" not in probe[0].body:
            failures.append(f"a save after the deadline answered {probe[0].status} {probe[0].body[:200]!r}")
        if os.environ.get("BENCH_BREAK") != "late":
            swept = services.attempts_expire()
            notes.append(("swept at the deadline", f"{swept} attempts (one already by the refused save)"))
        else:
            notes.append(("BENCH_BREAK", "no sweep: this run must fail"))
        timed("healthz_after", "GET /healthz/ (again)", healthz)

        # What was committed.
        stored = AttemptQuestion.objects.filter(attempt__paper=paper).values_list(
            "attempt_id", "position", "response", "option_order"
        )
        lost = 0
        for attempt_id, position, response, order in stored:
            shown = sent.get((attempt_id, position))
            if shown is None or response != order[shown]:
                lost += 1
        if lost:
            failures.append(f"{lost} answers lost or not the last one sent")
        by_person = {p["attempt"]: p for p in people}
        unmarked = mis_scored = 0
        for attempt in Attempt.objects.filter(paper=paper):
            if attempt.status != AttemptStatus.RELEASED or attempt.score is None:
                unmarked += 1
            elif attempt.score != expected_score(by_person[attempt.pk]):
                mis_scored += 1
        if unmarked:
            failures.append(f"{unmarked} attempts not marked")
        if mis_scored:
            failures.append(f"{mis_scored} attempts with a score their answers do not earn")
        auto = Attempt.objects.filter(paper=paper, auto_submitted=True).count()
        if auto != len(late):
            failures.append(f"{auto} attempts submitted by themselves, {len(late)} ran out of time")
        notes.append(("answers stored", f"{len(stored)}, lost {lost}"))
        notes.append(("attempts marked", f"{members - unmarked} of {members} ({auto} when time ran out)"))
    except BaseException as error:
        failures.append(f"run stopped: {error!r}")
        if not isinstance(error, Exception):
            raise
    finally:
        if srv is not None:
            srv.stop()
        connections.close_all()
        report()
        if not os.environ.get("BENCH_KEEP"):
            server(url, drop(BENCH_DB))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
