"""Public submissions: form tokens, receipt codes, saving a tip, and what its receipt shows.

Submitter safety (PRODUCT.md, guarantee 1): nothing here receives a client address or browser
details; the receipt code is shown once and only its sha256 is kept; times are kept to the
hour; contact details go to their own table and are erased when a moderator decides.
Nothing lost (guarantee 4): a receipt code is returned only after the submission, its contact
and its images are committed in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from app.models import Deployment, EvidenceImage, Submission, SubmissionContact
from app.services.images import CleanImage, evidence_file, store_evidence_image
from app.services.proposals import (
    KINDS,
    CheckedSubmission,
    ProposedChange,
    ProposedDeployment,
    ProposedSource,
    validate_submission,
)
from app.services.similar import SimilarRecord, similar_published

__all__ = [
    "KINDS",
    "CheckedSubmission",
    "ProposedChange",
    "ProposedDeployment",
    "ProposedSource",
    "ReceiptStatus",
    "SimilarRecord",
    "check_form_token",
    "create_submission",
    "erase_contact",
    "issue_form_token",
    "normalize_receipt_code",
    "receipt_hash",
    "similar_published",
    "submission_status",
    "validate_submission",
]

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 20  # 100 bits
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalize_receipt_code(text: str) -> str | None:
    """The canonical form of a code as typed (any case, spaces or dashes), or None."""
    raw = "".join(ch for ch in text.upper() if ch not in " -\t\n\r").translate(_LOOKALIKES)
    if len(raw) != RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(code: str) -> str:
    """sha256 of the canonical code; 100 random bits need no slow hash."""
    canonical = normalize_receipt_code(code)
    if canonical is None:
        raise ValueError("not a receipt code")
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_the_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# --- the signed render time -------------------------------------------------------------------

_TOKEN_PURPOSE = b"submission-form-rendered\x1f"


def issue_form_token(*, secret: str, now: datetime | None = None) -> str:
    """`<unix time>.<signature>`: when the form was rendered, so we can tell how fast it came
    back. It holds nothing about the person and is kept nowhere."""
    stamp = str(int((now or datetime.now(UTC)).timestamp()))
    return f"{stamp}.{_sign(secret, stamp)}"


def check_form_token(
    *,
    secret: str,
    token: str,
    min_seconds: float,
    max_age: timedelta,
    now: datetime | None = None,
) -> str | None:
    """None when the form came back in a plausible time, else a message for the person."""
    stamp, _, signature = token.partition(".")
    if not (stamp.isascii() and stamp.isdigit()) or not hmac.compare_digest(
        signature.encode(), _sign(secret, stamp).encode()
    ):
        return "We could not read this form's check value. Please look it over and send it again."
    age = (now or datetime.now(UTC)).timestamp() - int(stamp)
    if age < min_seconds:
        return (
            "This form came back faster than a person could fill it in, so it was not saved. "
            "Please check your entries and send it again."
        )
    if age > max_age.total_seconds():
        return "This form was opened too long ago, so it was not saved. Please send it again."
    return None


def _sign(secret: str, stamp: str) -> str:
    return hmac.new(secret.encode(), _TOKEN_PURPOSE + stamp.encode(), hashlib.sha256).hexdigest()


# --- saving -----------------------------------------------------------------------------------


def create_submission(
    *,
    session: Session,
    checked: CheckedSubmission,
    images: Sequence[tuple[CleanImage, str | None]] = (),
    target_deployment_id: int | None = None,
    data_dir: Path,
    now: datetime | None = None,
) -> str:
    """Save a checked submission with its contact and images; returns the receipt code.

    The code exists only in the return value: the database keeps its hash. Everything is
    committed before the code is returned; on any failure nothing is kept, files included."""
    if (target_deployment_id is None) != (checked.kind == "new_deployment"):
        raise ValueError("corrections and new sources need a record; new deployments none")
    stamp = to_the_hour(now or datetime.now(UTC))
    code = new_receipt_code()
    rows: list[EvidenceImage] = []
    try:
        for image, caption in images:
            rows.append(
                store_evidence_image(data_dir=data_dir, image=image, stamp=stamp, caption=caption)
            )
        submission = Submission(
            kind=checked.kind,
            proposed=checked.proposal.to_json(),
            receipt_hash=receipt_hash(code),
            target_deployment_id=target_deployment_id,
            received_at=stamp,
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        if checked.contact:
            session.add(SubmissionContact(submission_id=submission.id, contact=checked.contact))
        for row in rows:
            row.submission_id = submission.id
            session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        for row in rows:
            evidence_file(data_dir=data_dir, image=row).unlink(missing_ok=True)
        raise
    return code


def erase_contact(*, session: Session, submission_id: int) -> bool:
    """Delete a submission's contact details (call it when deciding); True if there were any.
    Does not commit, so it joins the caller's decision transaction."""
    contact = session.get(SubmissionContact, submission_id)
    if contact is None:
        return False
    session.delete(contact)
    return True


# --- the receipt page -------------------------------------------------------------------------

STATE_TEXT: dict[str, tuple[str, str]] = {
    "pending": ("Waiting for review", "Your submission is in the queue; no moderator has "
                "looked at it yet."),
    "in_review": ("Being reviewed", "A moderator is looking at your submission now."),
    "accepted": ("Accepted", "A moderator used your submission for a published record."),
    "merged": ("Merged", "A moderator added what you sent to an existing record."),
    "rejected": ("Not used", "A moderator decided not to use this submission."),
    "spam": ("Not used", "A moderator decided not to use this submission."),
}


@dataclass(frozen=True, slots=True)
class ReceiptStatus:
    """All a receipt code reveals: the state and the moderator's note, nothing else."""

    state: str
    label: str
    explanation: str
    decision_note: str | None


def submission_status(*, session: Session, receipt_code: str) -> ReceiptStatus | None:
    if normalize_receipt_code(receipt_code) is None:
        return None
    row = session.exec(
        select(Submission.state, Submission.decision_note).where(
            Submission.receipt_hash == receipt_hash(receipt_code)
        )
    ).first()
    if row is None:
        return None
    state, note = row
    label, explanation = STATE_TEXT.get(state, (state, ""))
    return ReceiptStatus(state=state, label=label, explanation=explanation, decision_note=note)


def published_deployment(*, session: Session, deployment_id: int) -> Deployment | None:
    """The record a correction or new source is about, if it has a public page."""
    if not 0 < deployment_id < 2**63:  # SQLite cannot bind a larger integer
        return None
    deployment = session.get(Deployment, deployment_id)
    if deployment is None or deployment.state not in ("published", "archived"):
        return None
    return deployment
