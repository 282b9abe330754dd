"""The controlled vocabularies, in one place: keys, labels and public explanations.

The database holds the same values, seeded by migration; tests/test_vocab.py checks the two agree.
Extend a vocabulary only with a migration that adds the new rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    label: str
    explanation: str
    parent: str | None = None


CAPABILITIES: tuple[Term, ...] = (
    Term("cctv", "CCTV cameras", "Fixed or pan-tilt-zoom cameras watching public space."),
    Term(
        "video_management",
        "Video management",
        "Recording, storage and content management of camera footage.",
    ),
    Term(
        "video_analytics",
        "Video analytics",
        "Software that detects events or behaviour in video automatically.",
    ),
    Term(
        "tripwire",
        "Tripwire detection",
        "Alerts when a person or vehicle crosses a virtual line.",
        "video_analytics",
    ),
    Term(
        "intrusion",
        "Intrusion detection",
        "Alerts when someone enters a defined area.",
        "video_analytics",
    ),
    Term(
        "loitering",
        "Loitering detection",
        "Alerts when someone stays in an area longer than a set time.",
        "video_analytics",
    ),
    Term(
        "abandoned_object",
        "Abandoned-object detection",
        "Alerts when an object is left behind.",
        "video_analytics",
    ),
    Term(
        "behaviour_analysis",
        "Behaviour analysis",
        "Classifies movements or behaviour as unusual or suspicious.",
        "video_analytics",
    ),
    Term(
        "crowd_analysis",
        "Crowd analysis",
        "Counts people or estimates crowd density and flow.",
        "video_analytics",
    ),
    Term(
        "object_tracking",
        "Object tracking",
        "Follows a person or vehicle across frames or cameras.",
        "video_analytics",
    ),
    Term(
        "face_recognition",
        "Face recognition",
        "Identifies or verifies people from images of their faces.",
    ),
    Term(
        "live_face_recognition",
        "Live face recognition",
        "Matches faces in live video against a watchlist.",
        "face_recognition",
    ),
    Term(
        "retrospective_face_recognition",
        "Retrospective face recognition",
        "Searches recorded images or footage for a face.",
        "face_recognition",
    ),
    Term(
        "other_biometrics",
        "Other biometrics",
        "Gait, voice, iris or other biometric identification.",
    ),
    Term(
        "alpr",
        "Licence-plate recognition",
        "Automatic licence/number plate recognition (ALPR/ANPR).",
    ),
    Term(
        "aerial_surveillance",
        "Aerial surveillance",
        "Drones, aerostats or aircraft used to watch from the air.",
    ),
    Term("armed_drone", "Armed drones", "Unmanned aircraft able to carry or be used as weapons."),
    Term("border_surveillance", "Border surveillance", "Sensors and systems that watch a border."),
    Term(
        "acoustic_detection",
        "Acoustic detection",
        "Microphones that detect and locate sounds such as gunshots.",
    ),
    Term(
        "command_centre",
        "Command centre",
        "An integrated command or real-time crime centre fusing feeds.",
    ),
    Term(
        "predictive_policing",
        "Predictive policing",
        "Software that forecasts where or by whom crime will occur.",
    ),
    Term(
        "social_media_monitoring",
        "Social media monitoring",
        "Collection and analysis of social media activity.",
    ),
    Term(
        "lawful_interception",
        "Lawful interception",
        "Interception of communications content or metadata.",
    ),
    Term(
        "imsi_catcher",
        "IMSI catcher",
        "Fake mobile base stations that identify or intercept phones.",
    ),
    Term("mobile_forensics", "Mobile forensics", "Tools that extract data from seized phones."),
    Term("body_worn_camera", "Body-worn cameras", "Cameras worn by officers."),
    Term(
        "smart_city_platform",
        "Smart city platform",
        "A city-wide data platform joining sensors and services.",
    ),
    Term(
        "electronic_warfare",
        "Electronic warfare",
        "Jamming, spoofing or detecting radio signals, including of drones.",
    ),
)

LIFECYCLE_STATUSES: tuple[Term, ...] = (
    Term("announced", "Announced", "Publicly announced; no contract known yet."),
    Term("planned", "Planned", "Planned or budgeted, not yet bought."),
    Term("procured", "Procured", "Bought or contracted, not yet in use."),
    Term("pilot", "Pilot", "In trial use, limited in time or place."),
    Term("operational", "Operational", "In regular use."),
    Term("expanded", "Expanded", "In use and extended beyond its first scope."),
    Term("suspended", "Suspended", "Use paused."),
    Term("decommissioned", "Decommissioned", "Taken out of use."),
    Term("cancelled", "Cancelled", "Cancelled before it went into use."),
    Term("unknown", "Unknown", "Current state not known."),
)

OVERSIGHT_STATUSES: tuple[Term, ...] = (
    Term("unknown", "Unknown", "Not yet researched."),
    Term("none_known", "None known", "No specific legal basis or oversight has been found."),
    Term("proposed", "Proposed", "A law, rules or a public consultation is under way."),
    Term("assessed", "Assessed", "An impact assessment has been published."),
    Term("regulated", "Regulated", "A specific legal basis or use policy is in force."),
    Term("challenged", "Challenged", "A regulator's investigation or a court case is pending."),
    Term("restricted", "Restricted", "A moratorium applies or a capability has been switched off."),
    Term("banned", "Banned", "Prohibited or ordered stopped."),
    Term("terminated", "Terminated", "The contract was cancelled or has ended."),
)

VERIFICATIONS: tuple[Term, ...] = (
    Term("unverified", "Unverified", "Backed by one source."),
    Term("corroborated", "Corroborated", "Backed by two or more independent sources."),
    Term("verified", "Verified", "Confirmed by a moderator's own check."),
)

GEO_PRECISIONS: tuple[Term, ...] = (
    Term("country", "Country", "Somewhere in the country."),
    Term("region", "Region", "Somewhere in the region."),
    Term("city", "City", "Somewhere in the city."),
    Term("site", "Site", "At a named site."),
    Term("exact", "Exact", "At the given coordinates."),
)

VENDOR_ROLES: tuple[Term, ...] = (
    Term("prime", "Prime contractor", "Holds the main contract."),
    Term("integrator", "Integrator", "Puts the system together."),
    Term("supplier", "Supplier", "Supplies equipment or software."),
    Term("financier", "Financier", "Finances the purchase."),
    Term("broker", "Broker", "Arranged the deal."),
)

OWNERSHIPS: tuple[Term, ...] = (
    Term("state_owned", "State-owned", "Owned by a state."),
    Term("private", "Private", "Privately held."),
    Term("listed", "Listed", "Traded on a stock exchange."),
    Term("unknown", "Unknown", "Ownership not known."),
)

ORGANISATION_KINDS: tuple[Term, ...] = (
    Term("police", "Police", "A police force."),
    Term("interior_ministry", "Interior ministry", "A ministry of the interior or home affairs."),
    Term("municipality", "Municipality", "A city or local government."),
    Term("national_government", "National government", "A national government or its agencies."),
    Term("military", "Military", "Armed forces or a defence ministry."),
    Term("border_agency", "Border agency", "A border or coast guard."),
    Term("transport", "Transport", "A transport operator or authority."),
    Term("private", "Private", "A private company."),
    Term("other", "Other", "Another kind of organisation."),
)

SOURCE_TYPES: tuple[Term, ...] = (
    Term("news", "News", "A news article."),
    Term("government", "Government", "A government document or statement."),
    Term("procurement", "Procurement", "A tender, contract or procurement record."),
    Term("foi_response", "FOI response", "A response to a freedom-of-information request."),
    Term("vendor", "Vendor", "The vendor's own material."),
    Term("court", "Court", "A court record."),
    Term("ngo_report", "NGO report", "A report by a civil-society organisation."),
    Term("academic", "Academic", "Academic research."),
    Term("photo", "Photo", "A photograph."),
    Term("other", "Other", "Another kind of source."),
)

OVERSIGHT_EVENT_KINDS: tuple[Term, ...] = (
    Term("legislation", "Legislation", "A law passed or proposed."),
    Term("regulation", "Regulation", "Rules or a use policy issued."),
    Term(
        "impact_assessment",
        "Impact assessment",
        "A data-protection or human-rights impact assessment.",
    ),
    Term(
        "dpa_action",
        "Data-protection authority action",
        "An investigation or decision by a data-protection authority.",
    ),
    Term("court_case", "Court case", "A case brought before a court."),
    Term("foi_request", "FOI request", "A freedom-of-information request."),
    Term("parliamentary_question", "Parliamentary question", "A question asked in parliament."),
    Term("audit", "Audit", "An audit or inspection."),
    Term("public_consultation", "Public consultation", "A public consultation."),
    Term("moratorium", "Moratorium", "A moratorium on use."),
    Term("ban", "Ban", "A prohibition."),
    Term("contract_termination", "Contract termination", "A contract cancelled or ended."),
    Term("other", "Other", "Another kind of event."),
)

RECORD_STATES: tuple[Term, ...] = (
    Term("published", "Published", "Public and current."),
    Term("archived", "Archived", "Withdrawn; the record keeps its URL and says why."),
)


def keys(terms: tuple[Term, ...]) -> frozenset[str]:
    return frozenset(term.key for term in terms)


def by_key(terms: tuple[Term, ...]) -> dict[str, Term]:
    return {term.key: term for term in terms}


def capability_with_descendants(key: str) -> set[str]:
    """A capability key and every key below it, so filtering by a parent includes children."""
    found = {key}
    changed = True
    while changed:
        changed = False
        for term in CAPABILITIES:
            if term.parent in found and term.key not in found:
                found.add(term.key)
                changed = True
    return found
