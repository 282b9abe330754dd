"""The vocabularies in app/vocab.py and the rows the migrations seeded are the same."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app import vocab
from app.models import Capability, LifecycleStatus, OversightStatus


def test_capability_table_matches_vocab(session: Session) -> None:
    rows = session.exec(select(Capability).order_by(col(Capability.position))).all()
    assert [(r.key, r.label, r.description, r.parent_key) for r in rows] == [
        (t.key, t.label, t.explanation, t.parent) for t in vocab.CAPABILITIES
    ]


@pytest.mark.parametrize(
    ("model", "terms"),
    [
        (LifecycleStatus, vocab.LIFECYCLE_STATUSES),
        (OversightStatus, vocab.OVERSIGHT_STATUSES),
    ],
    ids=["lifecycle_status", "oversight_status"],
)
def test_status_table_matches_vocab(
    session: Session, model: type[LifecycleStatus | OversightStatus], terms: tuple[vocab.Term, ...]
) -> None:
    rows = session.exec(select(model).order_by(col(model.position))).all()
    assert [(r.key, r.label, r.explanation) for r in rows] == [
        (t.key, t.label, t.explanation) for t in terms
    ]


def test_product_vocabularies_are_complete() -> None:
    """The keys PRODUCT.md promises, so a rename cannot slip through unnoticed."""
    assert vocab.keys(vocab.LIFECYCLE_STATUSES) == {
        "announced", "planned", "procured", "pilot", "operational", "expanded", "suspended",
        "decommissioned", "cancelled", "unknown",
    }
    assert vocab.keys(vocab.OVERSIGHT_STATUSES) == {
        "unknown", "none_known", "proposed", "assessed", "regulated", "challenged",
        "restricted", "banned", "terminated",
    }
    assert {"cctv", "video_management", "alpr", "face_recognition", "armed_drone",
            "border_surveillance", "command_centre", "electronic_warfare"} <= vocab.keys(
        vocab.CAPABILITIES
    )


def test_parent_filter_includes_children() -> None:
    assert vocab.capability_with_descendants("video_analytics") == {
        "video_analytics", "tripwire", "intrusion", "loitering", "abandoned_object",
        "behaviour_analysis", "crowd_analysis", "object_tracking",
    }
    assert vocab.capability_with_descendants("face_recognition") == {
        "face_recognition", "live_face_recognition", "retrospective_face_recognition",
    }
    assert vocab.capability_with_descendants("alpr") == {"alpr"}


def test_capability_hierarchy_is_well_formed() -> None:
    capabilities = vocab.by_key(vocab.CAPABILITIES)
    for term in vocab.CAPABILITIES:
        seen = {term.key}
        parent = term.parent
        while parent is not None:
            assert parent in capabilities, f"{term.key}: unknown parent {parent!r}"
            assert parent not in seen, f"{term.key}: cycle through {parent!r}"
            seen.add(parent)
            parent = capabilities[parent].parent


ALL_VOCABULARIES = {
    name: getattr(vocab, name)
    for name in (
        "CAPABILITIES", "LIFECYCLE_STATUSES", "OVERSIGHT_STATUSES", "VERIFICATIONS",
        "GEO_PRECISIONS", "VENDOR_ROLES", "OWNERSHIPS", "ORGANISATION_KINDS", "SOURCE_TYPES",
        "OVERSIGHT_EVENT_KINDS", "RECORD_STATES",
    )
}


@pytest.mark.parametrize("name", sorted(ALL_VOCABULARIES))
def test_keys_are_unique_and_labelled(name: str) -> None:
    terms: tuple[vocab.Term, ...] = ALL_VOCABULARIES[name]
    keys = [t.key for t in terms]
    assert len(keys) == len(set(keys)), f"{name} repeats a key"
    for term in terms:
        assert term.key.isascii() and term.key == term.key.lower() and " " not in term.key
        assert term.label.strip() == term.label and term.label


@pytest.mark.parametrize("term", vocab.OVERSIGHT_STATUSES, ids=lambda t: t.key)
def test_oversight_status_has_one_line_explanation(term: vocab.Term) -> None:
    explanation = term.explanation
    assert explanation.strip() == explanation and explanation, "empty or padded"
    assert "\n" not in explanation, "more than one line"
    assert len(explanation) <= 120, "too long for one line"
    assert explanation.endswith("."), "not a sentence"
