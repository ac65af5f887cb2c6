"""Opening the ballot box when an evaluation closes.

All ballots of the evaluation are opened, shuffled and counted in one transaction: the counters are
written with one UPDATE, the comments inserted in shuffled order with random keys, the ballots deleted
and the evaluation marked counted. Counters and comments are thus written once per evaluation, by a
transaction that wrote no `Submission`, so neither their row versions (`xmin`), nor their physical
order (`ctid`), nor their keys tell whose they are.

On PostgreSQL the box table is then rewritten with `VACUUM FULL` (outside the transaction): a plain
VACUUM only marks the deleted ballots' space reusable and leaves their bytes on the pages until
something overwrites them; VACUUM FULL copies the live rows to a new file and drops the old one. But
it copies deleted rows too while some transaction might still see them, and its own snapshot counts:
one transaction left open anywhere on the server (another database included) keeps them. So the
rewrite first waits (a bounded time) until every transaction running at the count has ended and no
session of this database holds an older snapshot, then checks that the new file holds no more rows
than the table shows.

A ballot the key does not open stops its evaluation's count: nothing is counted, deleted or marked,
the error says what to do, and the next sweep tries again (once the key is restored).
"""

import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from lms.evaluation import ballot_box
from lms.evaluation.models import AnswerTally, Ballot, SessionEvaluation, TextAnswer, TextQuestion
from lms.evaluation.services import evaluation_questions

logger = logging.getLogger(__name__)


class BallotsUnreadable(Exception):
    """The ballots of an evaluation cannot be opened with the configured key; nothing was changed."""

    def __init__(self, evaluation_id: int, count: int):
        super().__init__(
            f"{count} sealed ballot(s) of evaluation {evaluation_id} cannot be opened with the current "
            "key (EVALUATION_BALLOT_KEY, or SECRET_KEY when that is empty, changed since they were cast?). "
            "Nothing was counted or deleted: restore the key and run the sweep again."
        )
        self.evaluation_id = evaluation_id
        self.count = count


@dataclass
class CountReport:
    counted: list[int] = field(default_factory=list)  # evaluations whose ballots were counted
    ballots: int = 0
    refused: list[BallotsUnreadable] = field(default_factory=list)
    box_rewritten: bool | None = None  # None: nothing to rewrite (or not PostgreSQL)


def _tallies_add(evaluation: SessionEvaluation, counts: Counter) -> None:
    """Add the counts to the evaluation's counters in one UPDATE (and create a counter that is missing)."""
    if not counts:
        return
    existing = set(AnswerTally.objects.filter(evaluation=evaluation).values_list("question_id", "value"))
    AnswerTally.objects.filter(evaluation=evaluation).update(
        count=F("count")
        + Case(
            *(
                When(Q(question_id=question_id, value=value), then=Value(number))
                for (question_id, value), number in counts.items()
                if (question_id, value) in existing
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    AnswerTally.objects.bulk_create(
        AnswerTally(evaluation=evaluation, question_id=question_id, value=value, count=number)
        for (question_id, value), number in counts.items()
        if (question_id, value) not in existing
    )


def evaluation_count(*, evaluation_id: int, vacuum: bool = True) -> int:
    """Open, shuffle and count every sealed ballot of an evaluation, delete them and mark it counted, in
    one transaction (BallotsUnreadable, and no change, if the key does not open them). Returns how many
    ballots were counted."""
    with transaction.atomic():
        evaluation = SessionEvaluation.objects.select_for_update().get(pk=evaluation_id)
        ballots = list(Ballot.objects.filter(evaluation=evaluation).values_list("pk", "sealed"))
        sheets = []
        for _pk, sealed in ballots:
            try:
                sheets.append(ballot_box.unseal(evaluation_id=evaluation.pk, sealed=sealed))
            except ballot_box.BallotUnreadable:
                raise BallotsUnreadable(evaluation.pk, len(ballots)) from None
        shuffler = secrets.SystemRandom()
        shuffler.shuffle(sheets)
        questions = {question.pk: question for question in evaluation_questions(evaluation)}
        counts: Counter = Counter()
        comments = []
        for sheet in sheets:
            for question_id, value in sheet.items():
                question = questions[question_id]  # questions are frozen once answered
                if isinstance(question, TextQuestion):
                    comments.append(TextAnswer(evaluation=evaluation, question=question, text=value))
                else:
                    for one in value if isinstance(value, list) else [value]:
                        counts[question_id, one] += 1
        _tallies_add(evaluation, counts)
        shuffler.shuffle(comments)
        TextAnswer.objects.bulk_create(comments)
        Ballot.objects.filter(pk__in=[pk for pk, _sealed in ballots]).delete()
        SessionEvaluation.objects.filter(pk=evaluation.pk).update(ballots_counted=True)
    if vacuum and ballots:
        ballot_box_vacuum()
    return len(ballots)


def evaluations_count_closed(*, now: datetime | None = None) -> CountReport:
    """The sweep's part: count every evaluation that has closed and is not counted yet. Those without a
    ballot are only marked, together (after waiting for answers still being filed); the others are
    counted one by one, and the box vacuumed once at the end."""
    now = now or timezone.now()
    report = CountReport()
    due = SessionEvaluation.objects.filter(closes_at__lte=now, ballots_counted=False).order_by("pk")
    with transaction.atomic():
        # The row locks wait for submissions still in flight; the next query then sees their ballots.
        ids = list(due.select_for_update().values_list("pk", flat=True))
        with_ballots = set(
            Ballot.objects.filter(evaluation_id__in=ids).values_list("evaluation_id", flat=True).distinct()
        )
        SessionEvaluation.objects.filter(pk__in=[pk for pk in ids if pk not in with_ballots]).update(
            ballots_counted=True
        )
    for evaluation_id in sorted(with_ballots):
        try:
            report.ballots += evaluation_count(evaluation_id=evaluation_id, vacuum=False)
        except BallotsUnreadable as error:
            logger.error("%s", error)
            report.refused.append(error)
            continue
        report.counted.append(evaluation_id)
    if report.ballots and connection.vendor == "postgresql" and not connection.in_atomic_block:
        report.box_rewritten = ballot_box_rewrite()
    elif report.ballots:
        ballot_box_vacuum()
    return report


REWRITE_PATIENCE_SECONDS = 30


def ballot_box_vacuum() -> None:
    """Rewrite the box table on PostgreSQL once the current transaction (if any) has committed, so that
    no deleted ballot survives on its pages."""
    if connection.vendor == "postgresql":
        transaction.on_commit(ballot_box_rewrite)


def _older_transactions_running(cursor, horizon: int) -> bool:
    """Whether a transaction that started before `horizon` (an xid8) still runs on the server, or a
    session of this database still holds a snapshot from before it."""
    cursor.execute(
        "SELECT pg_snapshot_xmin(pg_current_snapshot()) < %s::text::xid8 OR EXISTS ("
        " SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_xmin IS NOT NULL AND age(backend_xmin) > age(%s::text::xid))",
        [str(horizon), str(horizon % 2**32)],
    )
    return cursor.fetchone()[0]


def ballot_box_rewrite(patience: float = REWRITE_PATIENCE_SECONDS) -> bool:
    """VACUUM FULL the box table (outside any transaction) so that no deleted ballot is kept. False,
    and an error logged, if an older transaction kept some past `patience` seconds: the next count
    rewrites the table again."""
    table = Ballot._meta.db_table
    deadline = time.monotonic() + patience
    pause = 0.1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        horizon = int(cursor.fetchone()[0])  # the first transaction id after the count
        while True:
            waited_enough = time.monotonic() >= deadline
            if waited_enough or not _older_transactions_running(cursor, horizon):
                cursor.execute(f"VACUUM FULL {connection.ops.quote_name(table)}")
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
                kept, live = cursor.fetchone()[0], Ballot.objects.count()
                if kept <= live:
                    return True
                if waited_enough:
                    break
            time.sleep(pause)
            pause = min(pause * 2, 2)
    logger.error(
        "%s deleted ballot row version(s) are still kept in %s by an older open transaction; "
        "they go with the next count's VACUUM FULL.",
        kept - live,
        table,
    )
    return False
