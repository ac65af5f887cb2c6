"""Sealing and opening answer sheets for the ballot box (`Ballot`), with a key the database does not hold.

A sheet is JSON (question id → stored answer), prefixed with its length and padded with zeros to a
size fixed by the evaluation's questions (the longest sheet they allow), then encrypted with AES-256-GCM
under a fresh random nonce. The evaluation's id is authenticated with it, so a ballot moved to another
evaluation does not open. Every ballot of an evaluation is therefore the same length, whatever its
comments say: someone who copied the box while it was open cannot match a ballot to a comment later
by its size.

The key is derived with HKDF-SHA256 from `EVALUATION_BALLOT_KEY`, or from `SECRET_KEY` when that is
empty. Neither is in the database.
"""

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from lms.evaluation.models import ChoiceQuestion, Question, TextQuestion

FORMAT = b"\x01"  # the first byte of every ballot: how it was sealed
NONCE_BYTES = 12
LENGTH_BYTES = 4
SHEET_OVERHEAD = 16  # braces of the JSON object
PER_QUESTION = 32  # a quoted question id, a colon, a comma, a rating or an option's position
BYTES_PER_CHARACTER = 6  # the worst case of a character in JSON without ASCII escaping ("\u001f")


class BallotUnreadable(Exception):
    """A ballot that the current key does not open (or that was altered)."""


def _key() -> bytes:
    secret = settings.EVALUATION_BALLOT_KEY or settings.SECRET_KEY
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"lms.evaluation.ballot", info=b"ballot box v1"
    ).derive(secret.encode())


def _associated_data(evaluation_id: int) -> bytes:
    return f"evaluation:{evaluation_id}".encode()


def sheet_capacity(questions: list[Question]) -> int:
    """The padded size of every sheet of an evaluation with these questions (bytes before sealing)."""
    size = LENGTH_BYTES + SHEET_OVERHEAD
    for question in questions:
        size += PER_QUESTION
        if isinstance(question, TextQuestion):
            size += BYTES_PER_CHARACTER * question.max_length + 2
        elif isinstance(question, ChoiceQuestion):
            size += 8 * len(question.options)
    return size


def seal(*, evaluation_id: int, questions: list[Question], answers: dict[int, object]) -> bytes:
    """The sealed ballot of one sheet (answers as `services.clean_answers` returns them)."""
    given = {str(question_id): value for question_id, value in answers.items() if value is not None}
    body = json.dumps(given, ensure_ascii=False, separators=(",", ":")).encode()
    capacity = sheet_capacity(questions)
    if LENGTH_BYTES + len(body) > capacity:
        raise ValueError("An answer sheet is longer than its questions allow.")
    padded = len(body).to_bytes(LENGTH_BYTES, "big") + body
    padded += bytes(capacity - len(padded))
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(_key()).encrypt(nonce, padded, _associated_data(evaluation_id))


def unseal(*, evaluation_id: int, sealed: bytes) -> dict[int, object]:
    """The answers of a ballot, or BallotUnreadable."""
    sealed = bytes(sealed)
    if sealed[:1] != FORMAT or len(sealed) < 1 + NONCE_BYTES + LENGTH_BYTES:
        raise BallotUnreadable("not a sealed ballot")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        padded = AESGCM(_key()).decrypt(nonce, ciphertext, _associated_data(evaluation_id))
    except InvalidTag:
        raise BallotUnreadable("the key does not open it, or it was altered") from None
    length = int.from_bytes(padded[:LENGTH_BYTES], "big")
    answers = json.loads(padded[LENGTH_BYTES : LENGTH_BYTES + length].decode())
    return {int(question_id): value for question_id, value in answers.items()}
