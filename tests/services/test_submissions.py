"""Submissions: what a form must hold, how it is saved, and what its receipt code reveals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from evidence_images import jpeg_with_metadata
from factories import make_deployment
from sqlalchemy import text
from sqlmodel import Session, select

from app import search_index
from app.models import EvidenceImage, Submission, SubmissionContact
from app.services.images import evidence_file, strip_image_metadata
from app.services.submissions import (
    check_form_token,
    create_submission,
    erase_contact,
    issue_form_token,
    new_receipt_code,
    normalize_receipt_code,
    receipt_hash,
    similar_published,
    submission_status,
    validate_submission,
)

search_index.install()  # the ORM hooks that keep the full-text index in step

VALID = {
    "title": "Face recognition cameras in Nis",
    "country": "rs",
    "city": "Niš",
    "summary": "Forty cameras with face recognition\r\nwere installed downtown.",
    "status": "operational",
    "started_on": "2023-04",
    "camera_count": "1,200",
    "vendors": "Huawei\nHikvision; Huawei",
    "source_1_url": "https://example.org/nis-cameras",
    "source_1_title": "Cameras go up in Niš",
    "source_1_source_type": "news",
}


def checked(**changes: str):  # type: ignore[no-untyped-def]
    result, errors = validate_submission(
        kind="new_deployment", fields={**VALID, **changes}, capabilities=["cctv", "alpr"]
    )
    assert errors == {} and result is not None
    return result


# --- validation -------------------------------------------------------------------------------


def test_a_valid_form_becomes_a_tidy_proposal() -> None:
    proposal = checked().proposal.to_json()

    assert proposal["title"] == "Face recognition cameras in Nis"
    assert proposal["country"] == "RS"
    assert proposal["summary"] == "Forty cameras with face recognition\nwere installed downtown."
    assert proposal["camera_count"] == 1200
    assert proposal["vendors"] == ["Huawei", "Hikvision"]
    assert proposal["capabilities"] == ["cctv", "alpr"]
    assert proposal["sources"] == [
        {
            "url": "https://example.org/nis-cameras",
            "title": "Cameras go up in Niš",
            "publisher": None,
            "published_on": None,
            "source_type": "news",
        }
    ]
    assert proposal["region"] is None and proposal["status"] == "operational"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"summary": ""}, "summary"),
        ({"country": ""}, "country"),
        ({"country": "XX"}, "country"),
        ({"country": "Serbia"}, "country"),
        ({"status": "exploded"}, "status"),
        ({"started_on": "2023-13"}, "started_on"),
        ({"announced_on": "23/04/2023"}, "announced_on"),
        ({"camera_count": "many"}, "camera_count"),
        ({"camera_count": "²"}, "camera_count"),
        ({"title": "x" * 301}, "title"),
        ({"source_1_url": "javascript:alert(1)"}, "source_1_url"),
        ({"source_1_url": "example.org/page"}, "source_1_url"),
        ({"source_1_published_on": "yesterday"}, "source_1_published_on"),
        ({"source_1_source_type": "rumour"}, "source_1_source_type"),
        ({"source_2_publisher": "Some paper"}, "source_2_title"),
        ({"vendors": "\n".join(f"Vendor {i}" for i in range(20))}, "vendors"),
        ({"contact": "x" * 501}, "contact"),
        ({"image_2_caption": "x" * 501}, "image_2_caption"),
    ],
)
def test_each_bad_field_gets_its_own_message(changes: dict[str, str], field: str) -> None:
    result, errors = validate_submission(kind="new_deployment", fields={**VALID, **changes})

    assert result is None
    assert field in errors
    assert errors[field].endswith((".", "”."))


def test_a_source_or_a_photo_is_required() -> None:
    no_source = {k: v for k, v in VALID.items() if not k.startswith("source_")}

    result, errors = validate_submission(kind="new_deployment", fields=no_source)
    assert result is None and "sources" in errors

    result, errors = validate_submission(kind="new_deployment", fields=no_source, image_count=1)
    assert errors == {} and result is not None and result.proposal.to_json()["sources"] == []

    # A document described without an address is a source.
    described = {**no_source, "source_1_title": "Council minutes, 3 May 2023, item 7"}
    result, errors = validate_submission(kind="new_deployment", fields=described)
    assert errors == {} and result is not None


def test_unknown_capabilities_are_refused() -> None:
    _result, errors = validate_submission(
        kind="new_deployment", fields=VALID, capabilities=["cctv", "mind_reading"]
    )
    assert "capabilities" in errors


def test_corrections_need_a_note_and_new_sources_do_not() -> None:
    source = {"source_1_url": "https://example.org/x"}
    result, errors = validate_submission(kind="correction", fields=source)
    assert result is None and set(errors) == {"note"}

    result, errors = validate_submission(kind="new_source", fields=source)
    assert errors == {} and result is not None
    assert result.proposal.to_json() == {
        "note": None,
        "sources": [
            {"url": "https://example.org/x", "title": None, "publisher": None,
             "published_on": None, "source_type": "other"}
        ],
    }
    _result, errors = validate_submission(kind="gossip", fields=source)
    assert "kind" in errors


def test_control_characters_are_dropped_and_contact_kept_apart() -> None:
    result = checked(title="Cameras\x00 in\x1b Nis", contact=" signal: @someone ")
    assert result.proposal.to_json()["title"] == "Cameras in Nis"
    assert "contact" not in result.proposal.to_json()
    assert result.contact == "signal: @someone"


# --- receipt codes and form tokens ------------------------------------------------------------


def test_receipt_codes_are_long_random_and_forgiving_to_type() -> None:
    codes = {new_receipt_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code.replace("-", "")) == 20  # 20 symbols of 32: 100 bits
    assert normalize_receipt_code(code.lower().replace("-", " ")) == code
    assert normalize_receipt_code("OOOO-IIII-LLLL-0000-1111") == "0000-1111-1111-0000-1111"
    assert normalize_receipt_code("ABCD") is None
    assert normalize_receipt_code("ABCD-EFGH-JKMN-PQRS-TVW!") is None
    assert receipt_hash(code) == receipt_hash(code.lower())


def test_form_token_refuses_fast_old_and_forged_forms() -> None:
    rendered = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    token = issue_form_token(secret="k", now=rendered)

    def check(after: timedelta, secret: str = "k", value: str = token) -> str | None:
        return check_form_token(
            secret=secret, token=value, min_seconds=3, max_age=timedelta(hours=12),
            now=rendered + after,
        )

    assert check(timedelta(seconds=10)) is None
    assert "faster than a person" in (check(timedelta(seconds=1)) or "")
    assert "too long ago" in (check(timedelta(hours=13)) or "")
    assert "could not read" in (check(timedelta(seconds=10), secret="other") or "")
    assert "could not read" in (check(timedelta(seconds=10), value="") or "")
    forged = str(int(rendered.timestamp()) - 60) + "." + token.split(".")[1]
    assert "could not read" in (check(timedelta(seconds=10), value=forged) or "")


# --- saving and the receipt -------------------------------------------------------------------


def test_create_keeps_the_hash_not_the_code_the_hour_not_the_minute(
    session: Session, tmp_path: Path
) -> None:
    now = datetime(2026, 5, 1, 10, 47, 13, tzinfo=UTC)
    code = create_submission(
        session=session, checked=checked(contact="me@example.org"), data_dir=tmp_path, now=now
    )

    submission = session.exec(select(Submission)).one()
    assert submission.receipt_hash == receipt_hash(code)
    assert submission.state == "pending" and submission.kind == "new_deployment"
    assert submission.received_at.replace(tzinfo=UTC) == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert submission.proposed["title"] == "Face recognition cameras in Nis"
    assert "contact" not in submission.proposed
    contact = session.get(SubmissionContact, submission.id)
    assert contact is not None and contact.contact == "me@example.org"
    # The code itself is nowhere in the database.
    for table in ("submission", "submission_contact", "evidence_image"):
        for row in session.execute(text(f"SELECT * FROM {table}")):
            assert code not in " ".join(map(str, row))
            assert code.replace("-", "") not in " ".join(map(str, row))


def test_images_are_stored_clean_and_linked_in_the_same_transaction(
    session: Session, tmp_path: Path
) -> None:
    clean = strip_image_metadata(jpeg_with_metadata(), max_bytes=10**6, max_pixels=10**6)

    create_submission(
        session=session, checked=checked(), images=[(clean, "Pole at the square")],
        data_dir=tmp_path,
    )

    image = session.exec(select(EvidenceImage)).one()
    submission = session.exec(select(Submission)).one()
    assert image.submission_id == submission.id and image.deployment_id is None
    assert image.caption == "Pole at the square"
    assert evidence_file(data_dir=tmp_path, image=image).read_bytes() == clean.data


def test_a_failed_save_leaves_no_row_and_no_file(session: Session, tmp_path: Path) -> None:
    clean = strip_image_metadata(jpeg_with_metadata(), max_bytes=10**6, max_pixels=10**6)
    with pytest.raises(ValueError, match="need a record"):
        # A correction without its record is refused before anything is written.
        create_submission(
            session=session,
            checked=validate_submission(kind="new_source", fields={"source_1_title": "x"})[0],  # type: ignore[arg-type]
            images=[(clean, None)], data_dir=tmp_path,
        )
    with pytest.raises(Exception):  # the database refuses the unknown record
        create_submission(
            session=session,
            checked=validate_submission(kind="new_source", fields={"source_1_title": "x"})[0],  # type: ignore[arg-type]
            images=[(clean, None)], target_deployment_id=999_999, data_dir=tmp_path,
        )
    assert session.exec(select(Submission)).all() == []
    assert session.exec(select(EvidenceImage)).all() == []
    folder = tmp_path / "evidence"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_receipt_shows_state_and_note_only(session: Session, tmp_path: Path) -> None:
    code = create_submission(session=session, checked=checked(), data_dir=tmp_path)

    status = submission_status(session=session, receipt_code=code)
    assert status is not None
    assert (status.state, status.label, status.decision_note) == (
        "pending", "Waiting for review", None,
    )
    assert set(status.__slots__) == {"state", "label", "explanation", "decision_note"}

    submission = session.exec(select(Submission)).one()
    submission.state = "rejected"
    submission.decision_note = "We could not confirm this from the source."
    session.add(submission)
    session.commit()
    status = submission_status(session=session, receipt_code=code.lower().replace("-", ""))
    assert status is not None and status.label == "Not used"
    assert status.decision_note == "We could not confirm this from the source."

    assert submission_status(session=session, receipt_code=new_receipt_code()) is None
    assert submission_status(session=session, receipt_code="nonsense") is None


def test_erase_contact_joins_the_deciders_transaction(session: Session, tmp_path: Path) -> None:
    create_submission(session=session, checked=checked(contact="x@example.org"), data_dir=tmp_path)
    submission = session.exec(select(Submission)).one()
    assert submission.id is not None

    assert erase_contact(session=session, submission_id=submission.id) is True
    session.commit()
    assert session.get(SubmissionContact, submission.id) is None
    assert erase_contact(session=session, submission_id=submission.id) is False


def test_corrections_point_at_their_record(session: Session, tmp_path: Path) -> None:
    record = make_deployment(session, "Belgrade Safe City")
    result, _ = validate_submission(
        kind="correction", fields={"note": "Started in 2019", "source_1_title": "Minutes"}
    )
    assert result is not None

    create_submission(
        session=session, checked=result, target_deployment_id=record.id, data_dir=tmp_path
    )

    submission = session.exec(select(Submission)).one()
    assert submission.target_deployment_id == record.id
    assert submission.proposed["note"] == "Started in 2019"


# --- similar published records ----------------------------------------------------------------


def test_similar_records_share_any_distinctive_word_in_the_same_country(session: Session) -> None:
    belgrade = make_deployment(session, "Huawei Safe City Belgrade", country="RS", city="Belgrade")
    nis = make_deployment(session, "Face recognition in Nis", country="RS", city="Nis")
    make_deployment(session, "Huawei cameras Yerevan", country="AM", city="Yerevan")
    make_deployment(session, "Withdrawn Belgrade drones", country="RS", state="archived")

    found = similar_published(session=session, title="New cameras Belgrade Huawei", country="RS")
    assert [c.id for c in found] == [belgrade.id]

    # No country yet: any country, and any one word is enough.
    titles = [c.title for c in similar_published(session=session, title="huawei zzzqqq")]
    assert sorted(titles) == ["Huawei Safe City Belgrade", "Huawei cameras Yerevan"]

    by_city = similar_published(session=session, title="Street cameras", country="RS", city="Nis")
    assert [c.id for c in by_city] == [nis.id]

    assert similar_published(session=session, title="the new city cameras") == []
    assert similar_published(session=session, title="") == []


def test_similar_records_sharing_more_words_come_first(session: Session) -> None:
    drones = make_deployment(session, "Police drones over Belgrade", country="RS")
    safe_city = make_deployment(session, "Huawei Safe City Belgrade", country="RS")

    found = similar_published(session=session, title="Huawei cameras, Belgrade", country="rs")
    assert [c.id for c in found] == [safe_city.id, drones.id]
    assert found[0].country_name == "Serbia" and found[0].slug == safe_city.slug
    # A country that is not a code filters nothing rather than failing.
    assert len(similar_published(session=session, title="Belgrade", country="R'")) == 2
    assert similar_published(session=session, title="Belgrade", country="AM") == []
