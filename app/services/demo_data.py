"""The demo records: only facts stated in the seed articles (../shared/seeds/*.txt).

Every excerpt is quoted verbatim from a seed (tests/services/test_demo.py checks this). No URL,
publisher or date is given where the article does not state one: none of the seeds names its
own publisher, and seed 001 has no headline, so its title is a descriptive placeholder in
square brackets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoVendor:
    slug: str
    name: str
    country: str | None
    ownership: str
    description: str


@dataclass(frozen=True, slots=True)
class DemoSource:
    """One quoted passage of one article; (title, excerpt) is its natural key."""

    title: str
    excerpt: str
    seed: str  # the seed file it is quoted from, for people checking the data
    source_type: str = "news"


@dataclass(frozen=True, slots=True)
class Citation:
    source: DemoSource
    claim: str


@dataclass(frozen=True, slots=True)
class DemoDeployment:
    slug: str
    title: str
    summary: str
    country: str
    status: str
    citations: tuple[Citation, ...]
    capabilities: tuple[str, ...] = ()
    vendors: tuple[tuple[DemoVendor, str], ...] = ()  # (vendor, role)
    region: str | None = None
    city: str | None = None
    site: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: str = "country"
    programme: str | None = None
    announced_on: str | None = None
    scale_note: str | None = None


HUAWEI = DemoVendor(
    slug="huawei-technologies",
    name="Huawei Technologies",
    country="CN",
    ownership="unknown",  # not stated in the seeds
    description="Chinese technology company (\"the Chinese tech giant\" in the source article).",
)

# --- Seed 001: no headline in the text ------------------------------------------------------
_SEED_001_TITLE = (
    "[Untitled article] As well as building rail lines, highways and bridges in Serbia…"
)


def _seed_001(excerpt: str) -> DemoSource:
    return DemoSource(title=_SEED_001_TITLE, excerpt=excerpt, seed="001_5f26fe272239442c.txt")


BELGRADE_PARTNERSHIP = _seed_001(
    "The police patrols are related to a security surveillance system being set up by Huawei "
    "Technologies around the Serbian capital, following a strategic partnership agreement "
    "signed between Belgrade and the Chinese tech giant in 2017."
)
BELGRADE_CAMERAS = _seed_001(
    "A since-deleted post on Huawei’s website earlier this year said the Chinese company has "
    "employed more than 100 high-definition cameras and intelligent video content management "
    "(VCM) systems at over 60 sites in Belgrade."
)
BELGRADE_ANALYTICS = _seed_001(
    "The systems integrate things such as automatic license plate recognition, tripwire "
    "detection, loitering detection, abandoned object detection and behavioural analysis."
)
SAFE_CITY_COUNTRIES = _seed_001(
    "Huawei has been setting up similar “safe city” projects in Armenia, Azerbaijan, Russia, "
    "Tajikistan, Ukraine, Uzbekistan, Kyrgyzstan, and Kazakhstan. But this is the first case "
    "in the Balkans."
)
ARMED_DRONE_PURCHASE = _seed_001(
    "Serbia announced last month the purchase of armed drones from China – Beijing’s biggest "
    "military sale into Europe since the end of the Cold War"
)
WING_LOONG_DELIVERY = _seed_001(
    "Nine Chinese Wing Loong drones will be delivered to Serbia in the next six months with a "
    "possible follow-on order of 15 more."
)
PEGASUS_TRANSFER = _seed_001(
    "“President Vucic has recently said that China agreed to transfer technology to the Pegasus "
    "drones that Serbia has been developing indigenously, indicating that Serbia will upgrade "
    "its own defence industry with China’s help,” Vuksanovic added."
)
PEGASUS_RANGE = _seed_001(
    "The Pegasus drones are projected to be capable of staying airborne for up to 12 hours with "
    "an operating radius of 100 kilometres, putting much of neighbouring Kosovo which has a "
    "tense relationship with Serbia into range."
)

# --- Seed 000 --------------------------------------------------------------------------------
REPELLENT = DemoSource(
    title="Serbia Expands Domestic Kamikaze Drone Production Amid Regional Security Debates",
    excerpt=(
        "Earlier reports indicate that on January 30, during the same arms showcase, Vučić "
        "announced the delivery of three battery units of the FK-3 air defense missile system "
        "from China, along with an electronic warfare complex named “Repellent” procured from "
        "Russia."
    ),
    seed="000_65b92bcf7395621a.txt",
)

# --- Seed 004 --------------------------------------------------------------------------------
_SEED_004_TITLE = "Massive Drone Factory in Belarus to Build 100,000 Drones on NATO’s Doorstep"


def _seed_004(excerpt: str) -> DemoSource:
    return DemoSource(title=_SEED_004_TITLE, excerpt=excerpt, seed="004_a7fbac1368fea57a.txt")


DRONE_WALL = _seed_004(
    "Poland, Lithuania, and Latvia, which share borders with Belarus, are already taking steps "
    "to enhance their defense capabilities. These countries are part of a six-country European "
    "coalition working on building a “drone wall” along their eastern borders to monitor and "
    "protect against potential threats."
)
BELARUS_PLANT = _seed_004(
    "Belarus has announced its willingness to host a Russian drone manufacturing plant capable "
    "of producing up to 100,000 drones annually. This announcement came during a drone "
    "exhibition held in Minsk, where Russian officials proposed the idea."
)
BELARUS_PLANT_OUTPUT = _seed_004(
    "Russian representatives at the exhibition highlighted that the plant would initially "
    "produce 2,000 drones designed for agricultural and logistical purposes."
)
BELARUS_PLANT_SECURITY = _seed_004(
    "However, there are indications that the plant might also manufacture drones for security "
    "purposes."
)

# --- The records -----------------------------------------------------------------------------
BELGRADE = DemoDeployment(
    slug="huawei-safe-city-belgrade",
    title="Huawei Safe City, Belgrade",
    summary=(
        "Huawei Technologies has been setting up a security surveillance system around "
        "Belgrade, following a strategic partnership agreement signed in 2017 between Belgrade "
        "and the company. The article does not say which authority signed for Belgrade.\n\n"
        "A since-deleted post on Huawei's website, cited by the article, said the company had "
        "employed more than 100 high-definition cameras and intelligent video content "
        "management (VCM) systems at over 60 sites in Belgrade. According to the article, the "
        "systems integrate automatic licence-plate recognition, tripwire detection, loitering "
        "detection, abandoned-object detection and behavioural analysis.\n\n"
        "The article relates the system to the Chinese police officers who have patrolled the "
        "streets of Belgrade with Serbian counterparts since Sept. 18 (no year given), and "
        "calls it Huawei's first \"safe city\" case in the Balkans."
    ),
    country="RS",
    city="Belgrade",
    # Belgrade city centre: a geographic fact, not a claim of the article.
    latitude=44.8178,
    longitude=20.4569,
    geo_precision="city",
    programme="Safe City",
    status="operational",
    announced_on="2017",
    scale_note="More than 100 HD cameras and VCM systems at over 60 sites (Huawei, since deleted)",
    capabilities=(
        "cctv", "video_management", "alpr", "tripwire", "loitering", "abandoned_object",
        "behaviour_analysis",
    ),
    vendors=((HUAWEI, "supplier"),),
    citations=(
        Citation(BELGRADE_PARTNERSHIP, "Huawei is setting up the system around Belgrade after a "
                 "2017 strategic partnership agreement; the police patrols relate to it."),
        Citation(BELGRADE_CAMERAS, "More than 100 HD cameras and VCM systems at over 60 sites, "
                 "per a since-deleted post on Huawei's website."),
        Citation(BELGRADE_ANALYTICS, "Licence-plate recognition, tripwire, loitering, "
                 "abandoned-object detection and behavioural analysis."),
    ),
)

_SAFE_CITY_COUNTRIES: tuple[tuple[str, str], ...] = (
    ("AM", "Armenia"), ("AZ", "Azerbaijan"), ("RU", "Russia"), ("TJ", "Tajikistan"),
    ("UA", "Ukraine"), ("UZ", "Uzbekistan"), ("KG", "Kyrgyzstan"), ("KZ", "Kazakhstan"),
)

HUAWEI_COUNTRY_PROJECTS: tuple[DemoDeployment, ...] = tuple(
    DemoDeployment(
        slug=f"huawei-safe-city-{name.lower()}",
        title=f"Huawei “safe city” project, {name}",
        summary=(
            "The article reports that Huawei has been setting up \"safe city\" projects similar "
            "to its Belgrade system in Armenia, Azerbaijan, Russia, Tajikistan, Ukraine, "
            f"Uzbekistan, Kyrgyzstan and Kazakhstan. It gives no place, scale, date, operator or "
            f"capabilities for the project in {name}; this record holds only that statement."
        ),
        country=code,
        programme="Safe City",
        status="unknown",
        vendors=((HUAWEI, "supplier"),),
        citations=(
            Citation(SAFE_CITY_COUNTRIES, f"Huawei has been setting up a \"safe city\" project "
                     f"in {name}."),
        ),
    )
    for code, name in _SAFE_CITY_COUNTRIES
)

WING_LOONG = DemoDeployment(
    slug="wing-loong-drones-serbia",
    title="Wing Loong armed drones bought by Serbia from China",
    summary=(
        "Serbia announced the purchase of armed drones from China, which the article calls "
        "Beijing's biggest military sale into Europe since the end of the Cold War. Nine Chinese "
        "Wing Loong drones were to be delivered to Serbia within six months, with a possible "
        "follow-on order of 15 more. The article dates the announcement only as \"last month\" "
        "and does not name the manufacturer.\n\n"
        "According to the U.S. defence daily Stars and Stripes, cited by the article, these "
        "remotely piloted aircraft are in service in a number of Asian and African countries, "
        "including the United Arab Emirates, Nigeria, Pakistan, Indonesia, Kazakhstan, Saudi "
        "Arabia, Uzbekistan and Egypt."
    ),
    country="RS",
    status="procured",
    scale_note="9 drones to be delivered within six months; possible follow-on order of 15",
    capabilities=("armed_drone",),
    citations=(
        Citation(ARMED_DRONE_PURCHASE, "Serbia announced the purchase of armed drones from China."),
        Citation(WING_LOONG_DELIVERY, "Nine Wing Loong drones to be delivered within six months; "
                 "possible follow-on order of 15."),
    ),
)

PEGASUS = DemoDeployment(
    slug="pegasus-drone-programme-serbia",
    title="Pegasus drone programme, Serbia",
    summary=(
        "Serbia has been developing the Pegasus drones indigenously. Vuk Vuksanovic, a "
        "researcher at the London School of Economics and Political Science quoted in the "
        "article, said President Aleksandar Vučić had recently said that China agreed to "
        "transfer technology to the programme.\n\n"
        "The article says the Pegasus drones are projected to be capable of staying airborne "
        "for up to 12 hours with an operating radius of 100 kilometres, putting much of "
        "neighbouring Kosovo into range."
    ),
    country="RS",
    status="unknown",
    programme="Pegasus",
    scale_note="Projected endurance up to 12 hours; operating radius 100 km",
    citations=(
        Citation(PEGASUS_TRANSFER, "Serbia develops the Pegasus drones indigenously; China agreed "
                 "to transfer technology, per President Vučić as quoted by Vuk Vuksanovic."),
        Citation(PEGASUS_RANGE, "Projected endurance of up to 12 hours and a 100 km operating "
                 "radius."),
    ),
)

REPELLENT_EW = DemoDeployment(
    slug="repellent-electronic-warfare-serbia",
    title="“Repellent” electronic warfare complex, Serbia",
    summary=(
        "According to earlier reports cited by the article, on January 30 (no year given), at "
        "an arms showcase at the House of Guards near Belgrade, President Aleksandar Vučić "
        "announced the delivery of an electronic warfare complex named \"Repellent\", procured "
        "from Russia, along with three battery units of the FK-3 air defence missile system "
        "from China. The article does not name the supplier."
    ),
    country="RS",
    status="procured",
    capabilities=("electronic_warfare",),
    citations=(
        Citation(REPELLENT, "Vučić announced the delivery of the \"Repellent\" electronic "
                 "warfare complex procured from Russia."),
    ),
)

# One record per named country, so each appears under its own country filter and map; the
# article names three of the six coalition members and these three share the programme name.
_DRONE_WALL_COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("PL", "Poland", "Poland's"), ("LT", "Lithuania", "Lithuania's"), ("LV", "Latvia", "Latvia's"),
)

DRONE_WALLS: tuple[DemoDeployment, ...] = tuple(
    DemoDeployment(
        slug=f"drone-wall-{name.lower()}",
        title=f"“Drone wall” on {possessive} eastern border",
        summary=(
            "Poland, Lithuania and Latvia, which share borders with Belarus, are part of a "
            "six-country European coalition working on building a \"drone wall\" along their "
            "eastern borders to monitor and protect against potential threats. The article does "
            "not name the other three members and gives no dates, vendors or technical details.\n\n"
            f"This record covers {name}; the same coalition project is recorded for each of the "
            "three countries the article names."
        ),
        country=code,
        region="Eastern border",
        geo_precision="region",
        programme="Drone wall",
        status="planned",
        capabilities=("border_surveillance",),
        citations=(
            Citation(DRONE_WALL, f"{name} is part of the six-country coalition building a "
                     "\"drone wall\" along its eastern border."),
        ),
    )
    for code, name, possessive in _DRONE_WALL_COUNTRIES
)

BELARUS_DRONE_PLANT = DemoDeployment(
    slug="drone-plant-belarus",
    title="Proposed Russian drone plant in Belarus",
    summary=(
        "At a drone exhibition in Minsk, Russian officials proposed a Russian drone "
        "manufacturing plant in Belarus capable of producing up to 100,000 drones annually, and "
        "Belarus announced its willingness to host it. Russian representatives said the plant "
        "would initially produce 2,000 drones designed for agricultural and logistical "
        "purposes.\n\n"
        "The article says there are indications that the plant might also manufacture drones "
        "for security purposes, and that no official confirmation was given about the "
        "production of military drones. It does not say where in Belarus the plant would be."
    ),
    country="BY",
    status="announced",
    scale_note="Up to 100,000 drones a year; initially 2,000 agricultural and logistics drones",
    citations=(
        Citation(BELARUS_PLANT, "Russian officials proposed the plant at a Minsk exhibition; "
                 "Belarus is willing to host it; up to 100,000 drones a year."),
        Citation(BELARUS_PLANT_OUTPUT, "Initially 2,000 drones for agricultural and logistical "
                 "purposes."),
        Citation(BELARUS_PLANT_SECURITY, "The plant might also make drones for security purposes."),
    ),
)

DEMO_DEPLOYMENTS: tuple[DemoDeployment, ...] = (
    BELGRADE,
    *HUAWEI_COUNTRY_PROJECTS,
    WING_LOONG,
    PEGASUS,
    REPELLENT_EW,
    *DRONE_WALLS,
    BELARUS_DRONE_PLANT,
)
