"""`safecity import` and /staff/import: plan an import against the database, then apply it.

    file = read_import(data, format="auto")                 # app/services/import_files.py
    plan = plan_import(session=session, file=file, filename="atlas.csv")   # writes nothing
    report = apply_import(session=session, plan=plan, actor="import atlas.csv")

Each row of the plan is `new`, `updated` (with the fields and link lists that change),
`unchanged`, or `refused` (with every reason: unknown vocabulary values, malformed dates or
numbers, a missing title or source, a record that does not exist, a duplicate row…). Unknown
vocabulary values are refused, never created; vendors and organisations are entities, so a
missing one is created, and the plan says so first ("will create vendor 'X'").

How a row finds its record: our own CSV by `id` (a record of this database; an id it does not
hold is refused, so another site's export cannot overwrite unrelated records — clear the ids
to import one), else by `external_ref`, else by slug and country; an Atlas row by its
AOSNUMBER. Two rows of one file that describe the same record: the later one is refused.

`apply_import` writes the plan's new and updated rows in one transaction, each with its
revision (actor: the staff member, or a label such as "import atlas.csv"), and commits; a
failure rolls all of it back. Importing the same file again finds every row unchanged and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session, col, select

from app.models import Deployment
from app.services.atlas import parse_atlas_row
from app.services.drafts import TEXT_FIELDS
from app.services.editing import PUBLIC_STATES, lock_deployment, tracked
from app.services.import_files import ImportFile
from app.services.import_links import (
    Current,
    Directory,
    Ref,
    apply_links,
    chunks,
    load_current,
)
from app.services.import_records import (
    IncomingRecord,
    RowRefusal,
    parse_native_row,
    shown,
)
from app.services.revisions import DEPLOYMENT, Actor, deployment_snapshot, diff, record_revision
from app.text import slugify

Action = Literal["new", "updated", "unchanged", "refused"]
ACTIONS: tuple[Action, ...] = ("new", "updated", "unchanged", "refused")


@dataclass(frozen=True)
class PlannedRow:
    row: int
    action: Action
    label: str
    deployment_id: int | None = None
    changes: tuple[str, ...] = ()  # column names for `updated`
    reason: str = ""  # for `refused`
    notes: tuple[str, ...] = ()
    record: IncomingRecord | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """One report line: "row 7: new — …", "row 12: updated #4 — title, summary"."""
        number = f" #{self.deployment_id}" if self.deployment_id else ""
        if self.action == "refused":
            return f"row {self.row}: refused — {self.reason}"
        if self.action == "updated":
            return f"row {self.row}: updated{number} — {', '.join(self.changes)}"
        if self.action == "new":
            return f"row {self.row}: new{number} — {self.label}"
        return f"row {self.row}: unchanged{number}"


@dataclass(frozen=True)
class ImportPlan:
    filename: str
    format: str
    rows: tuple[PlannedRow, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[Action, int]:
        return count_rows(self.rows)

    @property
    def changes_anything(self) -> bool:
        return any(row.action in ("new", "updated") for row in self.rows)


@dataclass(frozen=True)
class ImportReport:
    """What an applied import did: the plan's rows, new ones with the id they were given."""

    filename: str
    rows: tuple[PlannedRow, ...]

    @property
    def counts(self) -> dict[Action, int]:
        return count_rows(self.rows)


def count_rows(rows: Iterable[PlannedRow]) -> dict[Action, int]:
    found = list(rows)
    return {action: sum(1 for row in found if row.action == action) for action in ACTIONS}


def summary_line(rows: Iterable[PlannedRow]) -> str:
    """"2 new, 1 updated, 5 unchanged, 1 refused"."""
    return ", ".join(f"{n} {action}" for action, n in count_rows(rows).items())


def report_lines(rows: Iterable[PlannedRow]) -> list[str]:
    """The rows as report lines, each note indented under its row."""
    lines: list[str] = []
    for row in rows:
        lines.append(row.describe())
        lines.extend(f"  {note}" for note in row.notes)
    return lines


# --- planning ------------------------------------------------------------------------------


def plan_import(*, session: Session, file: ImportFile, filename: str) -> ImportPlan:
    """What importing `file` would do, row by row. Reads the database, writes nothing."""
    parse = parse_native_row if file.format == "native" else parse_atlas_row
    parsed = [parse(row) for row in file.rows]
    incoming = [p for p in parsed if isinstance(p, IncomingRecord)]
    targets = _Targets.load(session, incoming)
    current = load_current(session, [d.id for d in targets.all() if d.id is not None])
    directory = Directory.load(session, (s.url for r in incoming for s in r.sources if s.url))
    claimed: dict[object, int] = {}  # record or key -> the row that describes it
    creating: set[tuple[str, str]] = set()
    rows: list[PlannedRow] = []
    for item in parsed:
        if isinstance(item, RowRefusal):
            rows.append(PlannedRow(item.row, "refused", item.label, reason=item.reason))
            continue
        found = targets.find(item)
        if isinstance(found, str):
            rows.append(PlannedRow(item.row, "refused", item.label, reason=found))
            continue
        key = ("deployment", found.id) if found is not None else _new_key(item)
        if key in claimed:
            reason = f"duplicate of row {claimed[key]} (the same record)"
            rows.append(PlannedRow(item.row, "refused", item.label, reason=reason))
            continue
        claimed[key] = item.row
        state = current.get(found.id, Current()) if found and found.id else Current()
        rows.append(_plan_row(item, found, state, directory, creating))
    return ImportPlan(filename=filename, format=file.format, rows=tuple(rows),
                      ignored_columns=file.ignored_columns)


def _new_key(record: IncomingRecord) -> object:
    if record.external_ref:
        return ("ref", record.external_ref)
    return ("slug", record.slug_key)


class _Targets:
    """The records the rows point at, read in batches."""

    def __init__(self) -> None:
        self.by_id: dict[int, Deployment] = {}
        self.by_ref: dict[str, Deployment] = {}
        self.by_slug: dict[tuple[str, str], list[Deployment]] = {}

    @classmethod
    def load(cls, session: Session, records: Sequence[IncomingRecord]) -> _Targets:
        targets = cls()
        ids = [r.deployment_id for r in records if r.deployment_id is not None]
        refs = [r.external_ref for r in records if r.external_ref]
        slugs = [r.slug_key[0] for r in records if r.slug_key and not r.external_ref]
        for part in chunks(sorted(set(ids))):
            for d in session.exec(select(Deployment).where(col(Deployment.id).in_(part))):
                assert d.id is not None
                targets.by_id[d.id] = d
        for part in chunks(sorted(set(refs))):
            for d in session.exec(select(Deployment).where(col(Deployment.external_ref).in_(part))):
                assert d.external_ref is not None
                targets.by_ref[d.external_ref] = d
        for part in chunks(sorted(set(slugs))):
            for d in session.exec(
                select(Deployment)
                .where(col(Deployment.slug).in_(part), col(Deployment.state).in_(PUBLIC_STATES))
                .order_by(col(Deployment.id))
            ):
                targets.by_slug.setdefault((d.slug, d.country), []).append(d)
        return targets

    def all(self) -> Iterable[Deployment]:
        yield from self.by_id.values()
        yield from self.by_ref.values()
        for found in self.by_slug.values():
            yield from found

    def find(self, record: IncomingRecord) -> Deployment | str | None:
        """The record a row describes, None for a new one, or why the row is refused."""
        if record.deployment_id is not None:
            found = self.by_id.get(record.deployment_id)
            if found is None or found.state not in PUBLIC_STATES:
                return (f"no record #{record.deployment_id} in this database (to add the row "
                        "as a new record, clear its id)")
            if record.external_ref and record.external_ref != found.external_ref:
                return (f"external_ref {shown(record.external_ref)} differs from the record's "
                        f"{shown(found.external_ref or '')}; an import does not change it")
            return found
        if record.external_ref:
            found = self.by_ref.get(record.external_ref)
            if found is not None and found.state not in PUBLIC_STATES:
                return f"external_ref {shown(record.external_ref)} belongs to a record not public"
            return found
        matches = self.by_slug.get(record.slug_key or ("", ""), [])
        if len(matches) > 1:
            ids = ", ".join(f"#{d.id}" for d in matches[:5])
            return f"several records have this title and country ({ids}); give the id"
        return matches[0] if matches else None


def _stored(name: str, value: Any) -> Any:
    """A stored value as the import would write it, so untouched values compare equal."""
    if isinstance(value, str):
        if name == "summary":
            return value.replace("\r\n", "\n")
        if name in TEXT_FIELDS:
            return value.strip()[: TEXT_FIELDS[name]] or (None if name != "title" else "")
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def _plan_row(record: IncomingRecord, found: Deployment | None, current: Current,
              directory: Directory, creating: set[tuple[str, str]]) -> PlannedRow:
    notes = list(record.notes)
    changes: list[str] = []
    if found is not None and found.state == "archived" and record.links == "add":
        notes.append(f"record #{found.id} is archived and left as it is")
        return PlannedRow(record.row, "unchanged", record.label, found.id, notes=tuple(notes),
                          record=record)
    if found is not None:
        changes = [name for name, value in record.fields.items()
                   if _stored(name, getattr(found, name)) != value]
    replace = record.links == "replace"

    def differs(wanted: set[Any], now: set[Any]) -> bool:
        return wanted != now if replace else bool(wanted - now)

    if "vendors" in record.present:
        wanted = set()
        for vendor in record.vendors:
            ref = directory.vendor(vendor.name, current.vendor_names)
            if not isinstance(ref, int) and ("vendor", ref[1]) not in creating:
                creating.add(("vendor", ref[1]))
                notes.append(f"will create vendor {shown(vendor.name)}")
            wanted.add((ref, vendor.role))
        if differs(wanted, current.vendors):
            changes.append("vendors")
    if "operators" in record.present:
        chosen = set()
        for operator in record.operators:
            ref = directory.organisation(operator.name, current.operator_names)
            if not isinstance(ref, int) and ("organisation", ref[1]) not in creating:
                creating.add(("organisation", ref[1]))
                notes.append(f"will create organisation {shown(operator.name)}")
            chosen.add(ref)
        if differs(chosen, current.operators):
            changes.append("operators")
    if "capabilities" in record.present and differs(set(record.capabilities),
                                                    current.capabilities):
        changes.append("capabilities")
    if "sources" in record.present:
        refs: list[Ref] = []
        for draft in record.sources:
            ref = directory.source(draft, current, set(refs))
            if ref in refs:
                continue
            title = directory.source_title(ref, current) if isinstance(ref, int) else None
            if record.source_titles_must_match and title is not None and title != draft.title:
                reason = (f"source {shown(draft.title)} has the address of stored source #{ref} "
                          f"titled {shown(title)}; change a source's details on its record page")
                return PlannedRow(record.row, "refused", record.label, reason=reason)
            refs.append(ref)
        now = [source_id for source_id, _title, _url in current.sources]
        if (refs != now) if replace else bool(set(refs) - set(now)):
            changes.append("sources")
    if found is None:
        return PlannedRow(record.row, "new", record.label, notes=tuple(notes), record=record)
    action: Action = "updated" if changes else "unchanged"
    return PlannedRow(record.row, action, record.label, found.id, tuple(changes),
                      notes=tuple(notes), record=record)


# --- applying ------------------------------------------------------------------------------


def apply_import(
    *, session: Session, plan: ImportPlan, actor: Actor, commit: bool = True
) -> ImportReport:
    """Write the plan's new and updated rows in one transaction, each with its revision.
    With commit=False the caller commits (after adding, say, its audit entry to the same
    transaction); a failure rolls back either way."""
    work = [row for row in plan.rows if row.action in ("new", "updated")]
    urls = (s.url for row in work if row.record for s in row.record.sources if s.url)
    directory = Directory.load(session, urls)
    current = load_current(session, [row.deployment_id for row in work if row.deployment_id])
    done: list[PlannedRow] = []
    try:
        for row in plan.rows:
            if row.record is None or row.action not in ("new", "updated"):
                done.append(row)
                continue
            summary = f"Imported from {plan.filename}, row {row.row}"
            if row.action == "new":
                deployment = _create(session, row.record, directory, actor, summary)
                done.append(PlannedRow(row.row, "new", row.label, deployment.id,
                                       notes=_done_notes(row.notes), record=row.record))
                continue
            assert row.deployment_id is not None
            locked = lock_deployment(session=session, deployment_id=row.deployment_id)
            if locked is None:
                raise RuntimeError(f"record #{row.deployment_id} is no longer public")
            with tracked(session, locked, actor=actor, summary=summary) as result:
                _set_fields(locked, row.record.fields)
                apply_links(session, locked, row.record, directory,
                            current.get(row.deployment_id, Current()))
            action: Action = "updated" if result.revision is not None else "unchanged"
            done.append(PlannedRow(row.row, action, row.label, row.deployment_id,
                                   row.changes if action == "updated" else (),
                                   notes=_done_notes(row.notes), record=row.record))
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return ImportReport(filename=plan.filename, rows=tuple(done))


def _done_notes(notes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(note.replace("will create ", "created ", 1) for note in notes)


def _set_fields(deployment: Deployment, fields: dict[str, Any]) -> None:
    """Write the values that differ; a new title brings its slug, as a staff edit does."""
    if "title" in fields and _stored("title", deployment.title) != fields["title"]:
        deployment.slug = slugify(fields["title"], max_length=200)
    for name, value in fields.items():
        if _stored(name, getattr(deployment, name)) != value:
            setattr(deployment, name, value)


def _create(session: Session, record: IncomingRecord, directory: Directory, actor: Actor,
            summary: str) -> Deployment:
    fields = {**record.new_fields, **record.fields}
    deployment = Deployment(
        slug=slugify(fields["title"], max_length=200), external_ref=record.external_ref, **fields
    )
    session.add(deployment)
    session.flush()
    assert deployment.id is not None
    apply_links(session, deployment, record, directory, Current())
    after = deployment_snapshot(session=session, deployment=deployment)
    record_revision(session=session, entity=DEPLOYMENT, entity_id=deployment.id, actor=actor,
                    summary=summary, changes=diff({}, after))
    return deployment

