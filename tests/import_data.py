"""Import files for tests: CSV from dicts, and a crafted Atlas of Surveillance file.

    from import_data import CRAFTED_ATLAS, atlas_file, atlas_row, to_csv
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from app.services.atlas import ATLAS_COLUMNS


def to_csv(header: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in header})
    return buffer.getvalue().encode("utf-8")


def atlas_row(number: str, **cells: str) -> dict[str, str]:
    row = {
        "AOSNUMBER": number, "NEWAOSNUMBER (ORI9)": "IL0000000FR", "City": "Springfield",
        "County": "Sangamon County", "State": "IL", "Agency": "Springfield Police Department",
        "Type of LEA": "Police", "Summary": "The department uses face recognition.",
        "Type of Juris": "Municipal", "Technology": "Face Recognition", "TECH ABV": "FR",
        "Vendor": "Clearview AI",
        "Link 1": "https://news.example/a",
        "Link 1 Snapshot": "https://web.archive.org/web/2020/https://news.example/a",
        "Link 1 Source": "Springfield News", "Link 1 Type": "News", "Link 1 Date": "2020-03-05",
        "Link 2": "https://city.example/b", "Link 2 Source": "City of Springfield",
        "Link 2 Type": "Government", "Link 2 Date": "3/7/2021",
        "Link 3": "https://foia.example/c", "Link 3 Source": "MuckRock",
        "Link 3 Type": "Public Records", "Link 3 Date": "March 2022",
        "Other Links": "https://other.example/x\nhttps://other.example/y.",
    }
    return {**row, **cells}


def atlas_file(*rows: dict[str, str]) -> bytes:
    return to_csv(ATLAS_COLUMNS, rows)


CRAFTED_ATLAS = atlas_file(
    atlas_row("AOS000001"),                                                          # 2: new
    atlas_row("AOS000002", Technology="Psychic Detection"),                          # 3
    atlas_row("AOS000003", **{"Link 2 Date": "not a date"}),                         # 4
    atlas_row("AOS000001"),                                                          # 5: again
    atlas_row("AOS000004", Technology="Third-party Investigative Platforms"),        # 6
    atlas_row("AOS000005", City="", County="Los Angeles County", State="California",
              Agency="Los Angeles County Sheriff's Department", **{
                  "Type of LEA": "Sheriff", "Technology": "automated license plate reader",
                  "Vendor": "", "Link 1 Type": "Blog", "Link 2": "", "Link 3": "",
                  "Link 1 Snapshot": "", "Other Links": ""}),                        # 7: new
    atlas_row("AOS000006", State="ZZ"),                                              # 8
    atlas_row("AOS000007", **{"Link 1": "", "Link 2": "", "Link 3": "",
                              "Link 1 Snapshot": "", "Other Links": ""}),            # 9
    atlas_row("AOS000008", **{"Type of LEA": "Tribal Council"}),                     # 10: new
)
