"""Word lists and name builders for synthetic deployments.

Every name is made up (vendors, cities, publishers); every URL is under the reserved `.example`
domain. Some words carry diacritics so the folding in app/text.py is exercised as in real data.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from app.text import slugify

# Capability key -> nouns a title or summary uses for that technology.
TECH_NOUNS: dict[str, tuple[str, ...]] = {
    "cctv": ("CCTV network", "camera network", "HD cameras", "street cameras", "CCTV system"),
    "video_management": ("video management system", "footage archive", "video storage centre"),
    "video_analytics": ("video analytics platform", "smart cameras", "AI camera analytics"),
    "face_recognition": ("face recognition system", "facial recognition cameras", "face matching"),
    "live_face_recognition": ("live facial recognition", "real-time face recognition vans"),
    "retrospective_face_recognition": ("retrospective face search", "image search database"),
    "other_biometrics": ("gait recognition", "voice biometrics", "iris scanners"),
    "alpr": ("licence-plate readers", "ANPR cameras", "number-plate recognition"),
    "aerial_surveillance": ("surveillance drones", "drone fleet", "tethered aerostat"),
    "armed_drone": ("armed drones", "combat drones", "loitering munitions"),
    "border_surveillance": ("border sensor line", "drone wall", "border radar towers"),
    "acoustic_detection": ("gunshot detection", "acoustic sensors"),
    "command_centre": ("command centre", "real-time crime centre", "situation room"),
    "predictive_policing": ("predictive policing software", "crime forecasting tool"),
    "social_media_monitoring": ("social media monitoring", "open-source intelligence platform"),
    "lawful_interception": ("lawful interception system", "communications monitoring centre"),
    "imsi_catcher": ("IMSI catchers", "cell-site simulators"),
    "mobile_forensics": ("mobile forensics kits", "phone extraction tools"),
    "body_worn_camera": ("body-worn cameras", "bodycams"),
    "smart_city_platform": ("smart city platform", "smart poles", "urban data platform"),
    "electronic_warfare": ("drone jammers", "counter-drone system", "electronic warfare suite"),
}

# Popularity of the primary capability (the rest are drawn from the same skew).
CAPABILITY_WEIGHTS: dict[str, float] = {
    "cctv": 30, "video_management": 8, "video_analytics": 10, "face_recognition": 12,
    "live_face_recognition": 4, "retrospective_face_recognition": 2, "other_biometrics": 2,
    "alpr": 14, "aerial_surveillance": 8, "armed_drone": 2, "border_surveillance": 5,
    "acoustic_detection": 2, "command_centre": 8, "predictive_policing": 3,
    "social_media_monitoring": 3, "lawful_interception": 2, "imsi_catcher": 2,
    "mobile_forensics": 2, "body_worn_camera": 6, "smart_city_platform": 7,
    "electronic_warfare": 2, "tripwire": 2, "intrusion": 2, "loitering": 2,
    "abandoned_object": 1, "behaviour_analysis": 2, "crowd_analysis": 2, "object_tracking": 2,
}  # fmt: skip

PROGRAMMES = (
    "Safe City", "Smart City", "Safe Society", "Secure City", "Urban Security", "Smart Policing",
    "Integrated Border Management", "Public Order", "Bezbedni Grad", "Ciudad Segura",
    "Città Sicura", "Ville Sûre", "Bezpečné město", "Güvenli Şehir", "Cidade Segura",
    "Bezpieczne Miasto", "Sichere Stadt", "Tryggare Stad", "Smart Nation", "Safe Streets",
)  # fmt: skip

SITES = (
    "Central Station", "International Airport", "the port", "Old Town", "the national stadium",
    "University campus", "Main Square", "the border crossing", "the ring road", "the metro",
    "the city hall", "Trg Republike", "Plaça Major", "Praça do Comércio", "the river embankment",
    "the industrial zone", "Łazienki Park", "Çarşı market", "the ferry terminal", "the bus depot",
)  # fmt: skip

TITLE_PATTERNS = (
    "{programme} project in {city}",
    "{tech} for the {operator}",
    "{vendor} {tech} in {city}",
    "{city} {tech} expansion",
    "{tech} pilot at {site}, {city}",
    "{programme}: {tech} in {city}",
    "{country} national {tech}",
    "{tech} along {site} in {city}",
)

SUMMARY_SENTENCES = (
    "{vendor} supplied {tech} to the {operator} under the {programme} programme.",
    "The contract, signed in {year}, covers {count} cameras at {sites} sites across {city}.",
    "Local media reported that the system was installed at {site} before the {year} elections.",
    "Civil-society groups in {country} asked the data-protection authority to review it.",
    "The {operator} says the {tech} helps to find missing persons and stolen vehicles.",
    "Financing came from a loan by {funder}, according to procurement records.",
    "No impact assessment has been published and the retention period is not known.",
    "Documents obtained under freedom of information show a budget of {value} {currency}.",
    "A second phase would extend the {tech} to {count} more locations by {later}.",
    "Journalists found that footage is shared with the national police without a warrant.",
    "The municipality of {city} confirmed the deployment in answer to a council question.",
    "Residents near {site} said they were never told about the cameras.",
)

_SYLLABLES = (
    "ba", "bel", "bra", "ca", "dor", "dra", "ga", "gor", "ka", "kra", "la", "len", "lo", "ma",
    "mir", "na", "no", "pa", "pol", "ra", "ri", "sa", "sel", "ta", "tor", "va", "vi", "za",
    "zla", "chi", "ko", "mo", "ne", "stan", "grad", "vo", "lu", "ber", "ton", "ville",
)  # fmt: skip
_DIACRITIC_SYLLABLES = ("č", "ša", "žu", "ğa", "ão", "é", "ø", "ł", "ő", "ñe", "ć", "ü", "ş", "å")
_VENDOR_STEMS = (
    "Hik", "Da", "Sen", "Vis", "Opti", "Secu", "Argus", "Tele", "Uni", "Pano", "Omni", "Cyber",
    "Aero", "Geo", "Info", "Nexa", "Quant", "Zen", "Sky", "Iris", "Lumi", "Veri", "Cogni", "Wing",
)  # fmt: skip
_VENDOR_TAILS = ("vision", "tech", "net", "sys", "tron", "ware", "tel", "sense", "guard", "scan")
_VENDOR_SUFFIXES = (
    "Technologies", "Systems", "Security", "Ltd", "GmbH", "S.A.", "Group", "Defence", "AB",
    "a.s.", "Inc.", "Co., Ltd.", "Solutions", "Intelligence", "d.o.o.",
)  # fmt: skip
VENDOR_COUNTRIES = (
    ("CN", 30), ("US", 20), ("IL", 10), ("DE", 6), ("FR", 6), ("GB", 6), ("RU", 5), ("JP", 4),
    ("KR", 3), ("NL", 3), ("SE", 2), ("IT", 2), ("TR", 3), ("AE", 1), ("IN", 2), ("RS", 1),
)  # fmt: skip
PUBLISHER_WORDS = (
    ("Daily", "Morning", "Evening", "National", "Večernje", "Le", "Gazeta", "Der", "El", "Il"),
    ("Herald", "Observer", "Novosti", "Courrier", "Tribune", "Kurier", "Post", "Diário", "Times"),
)
SOURCE_TITLE_PATTERNS = (
    "{city} to get {count} new cameras",
    "{vendor} wins {country} surveillance contract",
    "Police in {city} defend use of {tech}",
    "Questions over {tech} in {city}",
    "Procurement notice: {tech} for the {operator}",
    "Report: {programme} programme expands to {city}",
    "Court hears challenge to {tech} in {country}",
)
FUNDERS = (
    "the Export-Import Bank of China", "the European Union", "the national budget",
    "the city budget", "a World Bank loan", "a private concession", "the Interior Ministry",
)  # fmt: skip
CURRENCIES = ("EUR", "USD", "CNY", "GBP", "RSD", "TRY", "BRL", "INR")
ROLES = ("prime", "integrator", "supplier", "financier", "broker")
ROLE_WEIGHTS = (40, 20, 30, 5, 5)


def zipf_weights(n: int, exponent: float) -> list[float]:
    """Popularity of the n items of a list in rank order: item i weighs 1 / (i + 1) ** exponent."""
    return [1.0 / (i + 1) ** exponent for i in range(n)]


def cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def place_name(rng: random.Random) -> str:
    parts = [rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.3:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(_DIACRITIC_SYLLABLES))
    name = "".join(parts)
    return name[0].upper() + name[1:]


def vendor_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        base = rng.choice(_VENDOR_STEMS) + rng.choice(_VENDOR_TAILS)
        if rng.random() < 0.2:
            base = place_name(rng) + " " + base.capitalize()
        name = f"{base} {rng.choice(_VENDOR_SUFFIXES)}"
        if slugify(name) not in seen:
            seen.add(slugify(name))
            names.append(name)
    return names


def publisher_names(rng: random.Random, count: int) -> list[str]:
    pairs = [f"{a} {b}" for a in PUBLISHER_WORDS[0] for b in PUBLISHER_WORDS[1]]
    rng.shuffle(pairs)
    return pairs[:count]
