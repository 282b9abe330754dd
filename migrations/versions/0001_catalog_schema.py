"""catalog schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:13:45.885194
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A snapshot of app/vocab.py as of this revision; later changes need their own migration.
CAPABILITIES = [
    ("cctv", None, "CCTV cameras", "Fixed or pan-tilt-zoom cameras watching public space."),
    (
        "video_management",
        None,
        "Video management",
        "Recording, storage and content management of camera footage.",
    ),
    (
        "video_analytics",
        None,
        "Video analytics",
        "Software that detects events or behaviour in video automatically.",
    ),
    (
        "tripwire",
        "video_analytics",
        "Tripwire detection",
        "Alerts when a person or vehicle crosses a virtual line.",
    ),
    (
        "intrusion",
        "video_analytics",
        "Intrusion detection",
        "Alerts when someone enters a defined area.",
    ),
    (
        "loitering",
        "video_analytics",
        "Loitering detection",
        "Alerts when someone stays in an area longer than a set time.",
    ),
    (
        "abandoned_object",
        "video_analytics",
        "Abandoned-object detection",
        "Alerts when an object is left behind.",
    ),
    (
        "behaviour_analysis",
        "video_analytics",
        "Behaviour analysis",
        "Classifies movements or behaviour as unusual or suspicious.",
    ),
    (
        "crowd_analysis",
        "video_analytics",
        "Crowd analysis",
        "Counts people or estimates crowd density and flow.",
    ),
    (
        "object_tracking",
        "video_analytics",
        "Object tracking",
        "Follows a person or vehicle across frames or cameras.",
    ),
    (
        "face_recognition",
        None,
        "Face recognition",
        "Identifies or verifies people from images of their faces.",
    ),
    (
        "live_face_recognition",
        "face_recognition",
        "Live face recognition",
        "Matches faces in live video against a watchlist.",
    ),
    (
        "retrospective_face_recognition",
        "face_recognition",
        "Retrospective face recognition",
        "Searches recorded images or footage for a face.",
    ),
    (
        "other_biometrics",
        None,
        "Other biometrics",
        "Gait, voice, iris or other biometric identification.",
    ),
    (
        "alpr",
        None,
        "Licence-plate recognition",
        "Automatic licence/number plate recognition (ALPR/ANPR).",
    ),
    (
        "aerial_surveillance",
        None,
        "Aerial surveillance",
        "Drones, aerostats or aircraft used to watch from the air.",
    ),
    ("armed_drone", None, "Armed drones", "Unmanned aircraft able to carry or be used as weapons."),
    (
        "border_surveillance",
        None,
        "Border surveillance",
        "Sensors and systems that watch a border.",
    ),
    (
        "acoustic_detection",
        None,
        "Acoustic detection",
        "Microphones that detect and locate sounds such as gunshots.",
    ),
    (
        "command_centre",
        None,
        "Command centre",
        "An integrated command or real-time crime centre fusing feeds.",
    ),
    (
        "predictive_policing",
        None,
        "Predictive policing",
        "Software that forecasts where or by whom crime will occur.",
    ),
    (
        "social_media_monitoring",
        None,
        "Social media monitoring",
        "Collection and analysis of social media activity.",
    ),
    (
        "lawful_interception",
        None,
        "Lawful interception",
        "Interception of communications content or metadata.",
    ),
    (
        "imsi_catcher",
        None,
        "IMSI catcher",
        "Fake mobile base stations that identify or intercept phones.",
    ),
    ("mobile_forensics", None, "Mobile forensics", "Tools that extract data from seized phones."),
    ("body_worn_camera", None, "Body-worn cameras", "Cameras worn by officers."),
    (
        "smart_city_platform",
        None,
        "Smart city platform",
        "A city-wide data platform joining sensors and services.",
    ),
    (
        "electronic_warfare",
        None,
        "Electronic warfare",
        "Jamming, spoofing or detecting radio signals, including of drones.",
    ),
]
LIFECYCLE_STATUSES = [
    ("announced", "Announced", "Publicly announced; no contract known yet."),
    ("planned", "Planned", "Planned or budgeted, not yet bought."),
    ("procured", "Procured", "Bought or contracted, not yet in use."),
    ("pilot", "Pilot", "In trial use, limited in time or place."),
    ("operational", "Operational", "In regular use."),
    ("expanded", "Expanded", "In use and extended beyond its first scope."),
    ("suspended", "Suspended", "Use paused."),
    ("decommissioned", "Decommissioned", "Taken out of use."),
    ("cancelled", "Cancelled", "Cancelled before it went into use."),
    ("unknown", "Unknown", "Current state not known."),
]
OVERSIGHT_STATUSES = [
    ("unknown", "Unknown", "Not yet researched."),
    ("none_known", "None known", "No specific legal basis or oversight has been found."),
    ("proposed", "Proposed", "A law, rules or a public consultation is under way."),
    ("assessed", "Assessed", "An impact assessment has been published."),
    ("regulated", "Regulated", "A specific legal basis or use policy is in force."),
    ("challenged", "Challenged", "A regulator's investigation or a court case is pending."),
    ("restricted", "Restricted", "A moratorium applies or a capability has been switched off."),
    ("banned", "Banned", "Prohibited or ordered stopped."),
    ("terminated", "Terminated", "The contract was cancelled or has ended."),
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "capability",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("parent_key", sa.String(), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_key"], ["capability.key"], name=op.f("fk_capability_parent_key_capability")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_capability")),
    )
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capability_parent_key"), ["parent_key"], unique=False)

    op.create_table(
        "lifecycle_status",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("explanation", sa.String(length=400), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lifecycle_status")),
    )
    op.create_table(
        "organisation",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_slug"), ["slug"], unique=True)

    op.create_table(
        "oversight_status",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("explanation", sa.String(length=400), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_oversight_status")),
    )
    op.create_table(
        "source",
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("published_on", sa.String(length=10), nullable=True),
        sa.Column("archived_url", sa.String(length=2000), nullable=True),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("excerpt", sa.String(length=400), nullable=True),
        sa.Column("accessed_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "vendor",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("ownership", sa.String(length=16), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("wikidata_id", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["vendor.id"], name=op.f("fk_vendor_parent_id_vendor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("vendor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vendor_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vendor_slug"), ["slug"], unique=True)

    op.create_table(
        "deployment",
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("site", sa.String(length=300), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("geo_precision", sa.String(length=16), nullable=False),
        sa.Column("programme", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("announced_on", sa.String(length=10), nullable=True),
        sa.Column("started_on", sa.String(length=10), nullable=True),
        sa.Column("ended_on", sa.String(length=10), nullable=True),
        sa.Column("camera_count", sa.Integer(), nullable=True),
        sa.Column("site_count", sa.Integer(), nullable=True),
        sa.Column("scale_note", sa.String(length=300), nullable=True),
        sa.Column("financing", sa.String(length=200), nullable=True),
        sa.Column("funder", sa.String(length=200), nullable=True),
        sa.Column("contract_value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("oversight_status", sa.String(), nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("last_verified_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("archived_reason", sa.String(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=True),
        sa.Column("ended_year", sa.Integer(), nullable=True),
        sa.Column("title_sort", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["oversight_status"],
            ["oversight_status.key"],
            name=op.f("fk_deployment_oversight_status_oversight_status"),
        ),
        sa.ForeignKeyConstraint(
            ["status"], ["lifecycle_status.key"], name=op.f("fk_deployment_status_lifecycle_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_first_year"), ["first_year"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deployment_oversight_status"), ["oversight_status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deployment_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_title_sort"), ["title_sort"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deployment_verification"), ["verification"], unique=False
        )

    op.create_table(
        "deployment_capability",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("capability_key", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_key"],
            ["capability.key"],
            name=op.f("fk_deployment_capability_capability_key_capability"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_capability_deployment_id_deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "deployment_id", "capability_key", name=op.f("pk_deployment_capability")
        ),
    )
    with op.batch_alter_table("deployment_capability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_capability_capability_key"), ["capability_key"], unique=False
        )

    op.create_table(
        "deployment_operator",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_operator_deployment_id_deployment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_deployment_operator_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint(
            "deployment_id", "organisation_id", name=op.f("pk_deployment_operator")
        ),
    )
    with op.batch_alter_table("deployment_operator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_operator_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "deployment_source",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=400), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_source_deployment_id_deployment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_deployment_source_source_id_source")
        ),
        sa.PrimaryKeyConstraint("deployment_id", "source_id", name=op.f("pk_deployment_source")),
    )
    with op.batch_alter_table("deployment_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_source_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "deployment_vendor",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_vendor_deployment_id_deployment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendor.id"], name=op.f("fk_deployment_vendor_vendor_id_vendor")
        ),
        sa.PrimaryKeyConstraint(
            "deployment_id", "vendor_id", "role", name=op.f("pk_deployment_vendor")
        ),
    )
    with op.batch_alter_table("deployment_vendor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_vendor_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "oversight_event",
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_oversight_event_deployment_id_deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_event")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("oversight_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oversight_event_deployment_id"), ["deployment_id"], unique=False
        )

    op.create_table(
        "oversight_event_source",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["oversight_event.id"],
            name=op.f("fk_oversight_event_source_event_id_oversight_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_oversight_event_source_source_id_source")
        ),
        sa.PrimaryKeyConstraint("event_id", "source_id", name=op.f("pk_oversight_event_source")),
    )
    with op.batch_alter_table("oversight_event_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oversight_event_source_source_id"), ["source_id"], unique=False
        )

    # ### end Alembic commands ###

    _seed_vocabularies()
    _create_search_index()


def _seed_vocabularies() -> None:
    capability = sa.table(
        "capability",
        sa.column("key"),
        sa.column("parent_key"),
        sa.column("label"),
        sa.column("description"),
        sa.column("position"),
    )
    op.bulk_insert(
        capability,
        [
            {"key": k, "parent_key": p, "label": label, "description": d, "position": i}
            for i, (k, p, label, d) in enumerate(CAPABILITIES)
        ],
    )
    for name, terms in (
        ("lifecycle_status", LIFECYCLE_STATUSES),
        ("oversight_status", OVERSIGHT_STATUSES),
    ):
        table = sa.table(
            name,
            sa.column("key"),
            sa.column("label"),
            sa.column("explanation"),
            sa.column("position"),
        )
        op.bulk_insert(
            table,
            [
                {"key": k, "label": label, "explanation": e, "position": i}
                for i, (k, label, e) in enumerate(terms)
            ],
        )


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Tokens are pre-folded by the app; remove_diacritics also folds anything typed in raw.
        op.execute(
            "CREATE VIRTUAL TABLE deployment_fts USING fts5("
            "title, summary, place, parties, capabilities, sources, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )
    else:
        op.execute(
            "CREATE TABLE deployment_search ("
            "deployment_id integer PRIMARY KEY REFERENCES deployment(id) ON DELETE CASCADE, "
            "document tsvector NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_deployment_search_document ON deployment_search USING gin (document)"
        )


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS deployment_fts"
        if op.get_bind().dialect.name == "sqlite"
        else "DROP TABLE IF EXISTS deployment_search"
    )
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("oversight_event_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oversight_event_source_source_id"))

    op.drop_table("oversight_event_source")
    with op.batch_alter_table("oversight_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oversight_event_deployment_id"))

    op.drop_table("oversight_event")
    with op.batch_alter_table("deployment_vendor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_vendor_vendor_id"))

    op.drop_table("deployment_vendor")
    with op.batch_alter_table("deployment_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_source_source_id"))

    op.drop_table("deployment_source")
    with op.batch_alter_table("deployment_operator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_operator_organisation_id"))

    op.drop_table("deployment_operator")
    with op.batch_alter_table("deployment_capability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_capability_capability_key"))

    op.drop_table("deployment_capability")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_verification"))
        batch_op.drop_index(batch_op.f("ix_deployment_updated_at"))
        batch_op.drop_index(batch_op.f("ix_deployment_status"))
        batch_op.drop_index(batch_op.f("ix_deployment_title_sort"))
        batch_op.drop_index(batch_op.f("ix_deployment_state"))
        batch_op.drop_index(batch_op.f("ix_deployment_oversight_status"))
        batch_op.drop_index(batch_op.f("ix_deployment_first_year"))
        batch_op.drop_index(batch_op.f("ix_deployment_country"))

    op.drop_table("deployment")
    with op.batch_alter_table("vendor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendor_slug"))
        batch_op.drop_index(batch_op.f("ix_vendor_parent_id"))

    op.drop_table("vendor")
    op.drop_table("source")
    op.drop_table("oversight_status")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_slug"))

    op.drop_table("organisation")
    op.drop_table("lifecycle_status")
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capability_parent_key"))

    op.drop_table("capability")
    # ### end Alembic commands ###
