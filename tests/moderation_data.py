"""Test data for moderation: submissions as the public form stores them, and staff members."""

from __future__ import annotations

import secrets
from itertools import count
from typing import Any

from sqlmodel import Session

from app.models import Submission, SubmissionContact, User
from app.models.base import utcnow

_serial = count(1)


def make_staff(session: Session, name: str = "", *, role: str = "moderator") -> User:
    """A staff account for service tests (no password that could be used to sign in)."""
    name = name or f"Moderator {next(_serial)}"
    user = User(
        email=f"{name.lower().replace(' ', '.')}.{next(_serial)}@example.org",
        display_name=name,
        password_hash="not-a-usable-hash",
        role=role,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def proposed_deployment(**overrides: Any) -> dict[str, Any]:
    """A new-deployment proposal in the shape app/services/proposals.py stores."""
    proposed: dict[str, Any] = {
        "title": "Face recognition cameras in Novi Sad",
        "summary": "The city installed cameras with face recognition at the main square.",
        "country": "RS",
        "region": None,
        "city": "Novi Sad",
        "site": None,
        "programme": None,
        "status": "operational",
        "announced_on": "2021",
        "started_on": None,
        "camera_count": 40,
        "scale_note": None,
        "vendors": ["Huawei"],
        "operators": ["Ministry of Interior"],
        "capabilities": ["cctv", "face_recognition"],
        "sources": [
            {
                "url": "https://news.example/novi-sad",
                "title": "Cameras at the square",
                "publisher": "N1",
                "published_on": "2021-05",
                "source_type": "news",
            }
        ],
    }
    proposed.update(overrides)
    return proposed


def make_submission(
    session: Session,
    *,
    kind: str = "new_deployment",
    proposed: dict[str, Any] | None = None,
    contact: str | None = "tip@example.org",
    target_deployment_id: int | None = None,
    **fields: Any,
) -> Submission:
    submission = Submission(
        kind=kind,
        proposed=proposed if proposed is not None else proposed_deployment(),
        receipt_hash=secrets.token_hex(32),
        target_deployment_id=target_deployment_id,
        received_at=fields.pop("received_at", utcnow()),
        **fields,
    )
    session.add(submission)
    session.flush()
    if contact is not None:
        assert submission.id is not None
        session.add(SubmissionContact(submission_id=submission.id, contact=contact))
    session.commit()
    session.refresh(submission)
    return submission
