"""How an import finds the vendors, organisations and sources a row names, and links them.

Names are matched as staff would expect: a name the record already links to, then a stored
vendor or organisation with exactly that name, then one whose slug is the name's slug (as
app/services/editing.py's find_or_create_* do). Only when none matches is a new one created,
and the dry run says so ("will create vendor 'X'"). Sources are matched by web address (a
source without one: by its title among the record's own sources); an import never changes a
stored source's details.

Planning reads everything it needs in a few batched queries (`Directory.load`,
`load_current`), so a file of thousands of rows does not cost a query per row and cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, select

from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    OversightEvent,
    OversightEventSource,
    Source,
    Vendor,
)
from app.services.drafts import SourceDraft
from app.services.import_records import IncomingRecord
from app.text import slugify

CHUNK = 500
# A vendor, organisation or source that does not exist yet: ("new", its matching key).
Ref = int | tuple[str, str]


def chunks(values: Sequence[object], size: int = CHUNK) -> Iterable[list[object]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


@dataclass
class Current:
    """A record's links as they are now."""

    vendors: set[tuple[Ref, str]] = field(default_factory=set)  # (vendor id, role)
    vendor_names: dict[str, int] = field(default_factory=dict)
    operators: set[Ref] = field(default_factory=set)
    operator_names: dict[str, int] = field(default_factory=dict)
    capabilities: set[str] = field(default_factory=set)
    sources: list[tuple[int, str, str | None]] = field(default_factory=list)  # id, title, url


def load_current(session: Session, ids: Sequence[int]) -> dict[int, Current]:
    found: dict[int, Current] = defaultdict(Current)
    for part in chunks(sorted(set(ids))):
        for deployment_id, vendor_id, name, role in session.exec(
            select(DeploymentVendor.deployment_id, Vendor.id, Vendor.name, DeploymentVendor.role)
            .join(Vendor, col(Vendor.id) == DeploymentVendor.vendor_id)
            .where(col(DeploymentVendor.deployment_id).in_(part))
        ):
            assert vendor_id is not None
            found[deployment_id].vendors.add((vendor_id, role))
            found[deployment_id].vendor_names.setdefault(name, vendor_id)
        for deployment_id, organisation_id, name in session.exec(
            select(DeploymentOperator.deployment_id, Organisation.id, Organisation.name)
            .join(Organisation, col(Organisation.id) == DeploymentOperator.organisation_id)
            .where(col(DeploymentOperator.deployment_id).in_(part))
        ):
            assert organisation_id is not None
            found[deployment_id].operators.add(organisation_id)
            found[deployment_id].operator_names.setdefault(name, organisation_id)
        for deployment_id, key in session.exec(
            select(DeploymentCapability.deployment_id, DeploymentCapability.capability_key)
            .where(col(DeploymentCapability.deployment_id).in_(part))
        ):
            found[deployment_id].capabilities.add(key)
        for deployment_id, source_id, title, url in session.exec(
            select(DeploymentSource.deployment_id, Source.id, Source.title, Source.url)
            .join(Source, col(Source.id) == DeploymentSource.source_id)
            .where(col(DeploymentSource.deployment_id).in_(part))
            .order_by(col(DeploymentSource.position), col(Source.id))
        ):
            assert source_id is not None
            found[deployment_id].sources.append((source_id, title, url))
    return found


class Directory:
    """Vendors, organisations and sources by the names and addresses an import uses."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.vendor_names: dict[str, int] = {}
        self.vendor_slugs: dict[str, int] = {}
        self.organisation_names: dict[str, int] = {}
        self.organisation_slugs: dict[str, int] = {}
        self.source_urls: dict[str, tuple[int, str]] = {}
        self.source_titles: dict[int, str] = {}

    @classmethod
    def load(cls, session: Session, urls: Iterable[str]) -> Directory:
        directory = cls(session)
        for vendor_id, name, slug in session.exec(
            select(Vendor.id, Vendor.name, Vendor.slug).order_by(col(Vendor.id))
        ):
            assert vendor_id is not None
            directory.vendor_names.setdefault(name, vendor_id)
            directory.vendor_slugs.setdefault(slug, vendor_id)
        for organisation_id, name, slug in session.exec(
            select(Organisation.id, Organisation.name, Organisation.slug)
            .order_by(col(Organisation.id))
        ):
            assert organisation_id is not None
            directory.organisation_names.setdefault(name, organisation_id)
            directory.organisation_slugs.setdefault(slug, organisation_id)
        for part in chunks(sorted(set(urls))):
            for source_id, url, title in session.exec(
                select(Source.id, Source.url, Source.title)
                .where(col(Source.url).in_(part))
                .order_by(col(Source.id).desc())  # the oldest wins, as in link_sources
            ):
                assert source_id is not None and url is not None
                directory.source_urls[url] = (source_id, title)
                directory.source_titles[source_id] = title
        return directory

    # --- resolving (planning and applying) -----------------------------------------------

    def vendor(self, name: str, linked: dict[str, int]) -> Ref:
        slug = slugify(name, max_length=200)
        found = linked.get(name) or self.vendor_names.get(name) or self.vendor_slugs.get(slug)
        return found if found is not None else ("new", slug)

    def organisation(self, name: str, linked: dict[str, int]) -> Ref:
        slug = slugify(name, max_length=200)
        found = (linked.get(name) or self.organisation_names.get(name)
                 or self.organisation_slugs.get(slug))
        return found if found is not None else ("new", slug)

    def source(self, draft: SourceDraft, current: Current, taken: set[Ref]) -> Ref:
        """The source a row's source is; `taken` holds those earlier ones of the row matched,
        so several sources without an address and with one title stay several (the demo
        records cite one article more than once, each time for another claim)."""
        if draft.url:
            for source_id, _title, url in current.sources:
                if url == draft.url:
                    return source_id
            stored = self.source_urls.get(draft.url)
            return stored[0] if stored else ("new", draft.url)
        for source_id, title, url in current.sources:
            if url is None and title == draft.title and source_id not in taken:
                return source_id
        return ("new", f"{len(taken)}:{draft.title}")

    def source_title(self, ref: Ref, current: Current) -> str | None:
        for source_id, title, _url in current.sources:
            if source_id == ref:
                return title
        return self.source_titles.get(ref) if isinstance(ref, int) else None

    # --- creating (applying only) ----------------------------------------------------------

    def vendor_id(self, name: str, linked: dict[str, int]) -> int:
        ref = self.vendor(name, linked)
        if isinstance(ref, int):
            return ref
        vendor = Vendor(name=name, slug=ref[1])
        self.session.add(vendor)
        self.session.flush()
        assert vendor.id is not None
        self.vendor_names[name] = self.vendor_slugs[ref[1]] = vendor.id
        return vendor.id

    def organisation_id(self, name: str, kind: str, country: str,
                        linked: dict[str, int]) -> int:
        ref = self.organisation(name, linked)
        if isinstance(ref, int):
            return ref
        organisation = Organisation(name=name, slug=ref[1], kind=kind, country=country)
        self.session.add(organisation)
        self.session.flush()
        assert organisation.id is not None
        self.organisation_names[name] = self.organisation_slugs[ref[1]] = organisation.id
        return organisation.id

    def source_id(self, draft: SourceDraft, current: Current, taken: set[Ref]) -> int:
        ref = self.source(draft, current, taken)
        if isinstance(ref, int):
            return ref
        source = Source(**draft.source_fields())
        self.session.add(source)
        self.session.flush()
        assert source.id is not None
        if draft.url:
            self.source_urls[draft.url] = (source.id, draft.title)
            self.source_titles[source.id] = draft.title
        current.sources.append((source.id, draft.title, draft.url))
        return source.id


def apply_links(session: Session, deployment: Deployment, record: IncomingRecord,
                directory: Directory, current: Current) -> None:
    """Make the record's links what the row says: the same (replace) or at least (add)."""
    deployment_id = deployment.id
    assert deployment_id is not None
    replace = record.links == "replace"
    if "vendors" in record.present:
        wanted = {(directory.vendor_id(v.name, current.vendor_names), v.role)
                  for v in record.vendors}
        if replace:
            for vendor_id, role in current.vendors - wanted:
                session.exec(delete(DeploymentVendor).where(
                    col(DeploymentVendor.deployment_id) == deployment_id,
                    col(DeploymentVendor.vendor_id) == vendor_id,
                    col(DeploymentVendor.role) == role,
                ))
        for vendor_id, role in sorted(wanted - current.vendors, key=str):
            assert isinstance(vendor_id, int)
            session.add(DeploymentVendor(deployment_id=deployment_id, vendor_id=vendor_id,
                                         role=role))
    if "operators" in record.present:
        chosen = {directory.organisation_id(o.name, o.kind, deployment.country,
                                            current.operator_names) for o in record.operators}
        if replace:
            for organisation_id in current.operators - chosen:
                session.exec(delete(DeploymentOperator).where(
                    col(DeploymentOperator.deployment_id) == deployment_id,
                    col(DeploymentOperator.organisation_id) == organisation_id,
                ))
        for organisation_id in sorted(chosen - current.operators, key=str):
            assert isinstance(organisation_id, int)
            session.add(DeploymentOperator(deployment_id=deployment_id,
                                           organisation_id=organisation_id))
    if "capabilities" in record.present:
        keys = set(record.capabilities)
        if replace and current.capabilities - keys:
            session.exec(delete(DeploymentCapability).where(
                col(DeploymentCapability.deployment_id) == deployment_id,
                col(DeploymentCapability.capability_key).in_(current.capabilities - keys),
            ))
        for key in sorted(keys - current.capabilities):
            session.add(DeploymentCapability(deployment_id=deployment_id, capability_key=key))
    if "sources" in record.present:
        _apply_sources(session, deployment_id, record, directory, current, replace=replace)
    session.flush()


def _apply_sources(session: Session, deployment_id: int, record: IncomingRecord,
                   directory: Directory, current: Current, *, replace: bool) -> None:
    before = [source_id for source_id, _title, _url in current.sources]
    wanted: list[int] = []
    for draft in record.sources:
        source_id = directory.source_id(draft, current, set(wanted))
        if source_id not in wanted:
            wanted.append(source_id)
    links = {
        link.source_id: link
        for link in session.exec(
            select(DeploymentSource).where(DeploymentSource.deployment_id == deployment_id)
        )
    }
    if replace:
        gone = [source_id for source_id in before if source_id not in wanted]
        for source_id in gone:
            session.delete(links.pop(source_id))
        if gone:  # an oversight event cites only its own record's sources
            events = select(OversightEvent.id).where(OversightEvent.deployment_id == deployment_id)
            session.exec(delete(OversightEventSource).where(
                col(OversightEventSource.source_id).in_(gone),
                col(OversightEventSource.event_id).in_(events),
            ))
        order = wanted
    else:
        order = [*(s for s in before if s in links), *(s for s in wanted if s not in links)]
    for position, source_id in enumerate(order):
        if source_id in links:
            if replace:
                links[source_id].position = position
        else:
            start = max((link.position for link in links.values()), default=-1) + 1
            link = DeploymentSource(deployment_id=deployment_id, source_id=source_id,
                                    position=position if replace else start)
            links[source_id] = link
            session.add(link)
