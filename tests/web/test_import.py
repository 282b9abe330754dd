"""/staff/import: upload, dry-run report, confirm, result — for administrators only."""

from __future__ import annotations

from bs4 import BeautifulSoup
from factories import make_deployment, make_source
from fastapi.testclient import TestClient
from httpx2 import Response
from import_data import CRAFTED_ATLAS, atlas_file, atlas_row
from sqlmodel import Session, select
from staff import form_token, login, make_user

from app.config import Settings
from app.models import AuditEntry, Deployment, Revision, User


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def signed_in_admin(client: TestClient, session: Session) -> User:
    admin = make_user(session, "admin@example.org", role="admin", display_name="Ada Admin")
    login(client, "admin@example.org")
    return admin


def upload(client: TestClient, data: bytes, *, name: str = "atlas.csv",
           layout: str = "auto") -> Response:
    token = form_token(client.get("/staff/import").text)
    return client.post(
        "/staff/import",
        data={"csrf_token": token, "format": layout},
        files={"file": (name, data, "text/csv")},
    )


def confirm_fields(page: BeautifulSoup) -> dict[str, str]:
    form = page.select_one("form.import-confirm")
    assert form is not None, "the report offers no confirmation"
    assert form["action"] == "/staff/import/confirm" and form["method"] == "post"
    return {str(i["name"]): str(i["value"]) for i in form.select("input[type=hidden]")}


def deployments(session: Session) -> list[Deployment]:
    session.expire_all()
    return list(session.exec(select(Deployment)))


def test_only_admins_may_import(client: TestClient, session: Session) -> None:
    response = client.get("/staff/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstaff%2Fimport"
    make_user(session, "mod@example.org")
    login(client, "mod@example.org")
    assert client.get("/staff/import").status_code == 403
    token = form_token(client.get("/account").text)
    posted = client.post("/staff/import", data={"csrf_token": token, "format": "auto"},
                         files={"file": ("a.csv", CRAFTED_ATLAS, "text/csv")})
    assert posted.status_code == 403
    confirm = client.post("/staff/import/confirm", data={"csrf_token": token})
    assert confirm.status_code == 403
    assert client.get("/staff/import/done/1").status_code == 403
    assert deployments(session) == []


def test_posts_need_the_csrf_token(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    response = client.post("/staff/import", data={"format": "auto"},
                           files={"file": ("a.csv", CRAFTED_ATLAS, "text/csv")})
    assert response.status_code == 403
    assert client.post("/staff/import/confirm", data={"token": "x"}).status_code == 403
    assert deployments(session) == []


def test_the_form_page_full_and_as_a_fragment(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    full = client.get("/staff/import")
    assert full.status_code == 200 and full.headers["cache-control"] == "no-store"
    page = soup(full.text)
    form = page.select_one("main form[enctype='multipart/form-data']")
    assert form is not None and form["action"] == "/staff/import" and form["method"] == "post"
    assert form.select_one("input[type=file][name=file]")
    assert form.select_one("input[name=csrf_token]")
    assert [i["value"] for i in form.select("input[name=format]")] == ["auto", "native", "atlas"]
    assert page.select_one("nav.staff-bar a[href='/staff/import'][aria-current=page]")
    fragment = client.get("/staff/import", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert soup(fragment.text).select_one("form input[type=file]")
    assert "HX-Request" in fragment.headers["vary"]


def test_upload_report_confirm_result(client: TestClient, session: Session,
                                      settings: Settings) -> None:
    admin = signed_in_admin(client, session)
    response = upload(client, CRAFTED_ATLAS)
    assert response.status_code == 200
    page = soup(response.text)
    counts = {li["class"][0]: li.get_text(" ", strip=True)
              for li in page.select(".import-counts li")}
    assert counts == {"import-new": "3 new", "import-updated": "0 updated",
                      "import-unchanged": "0 unchanged", "import-refused": "6 refused"}
    rows = {tr.th.get_text(): [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.select("table.import-rows tbody tr")}
    assert rows["2"][:2] == ["new", "Face Recognition — Springfield Police Department"]
    assert "will create vendor 'Clearview AI'" in rows["2"][2]
    assert rows["3"] == ["refused", "Psychic Detection — Springfield Police Department",
                         "unknown technology 'Psychic Detection' (no matching capability)"]
    assert deployments(session) == []  # the report wrote nothing
    fields = confirm_fields(page)
    stored = settings.data_dir / "imports" / f"{fields['token']}.csv"
    assert stored.read_bytes() == CRAFTED_ATLAS
    assert (fields["filename"], fields["format"]) == ("atlas.csv", "atlas")

    done = client.post("/staff/import/confirm", data=fields, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/staff/import/done/")
    assert not stored.exists()
    records = deployments(session)
    assert len(records) == 3
    revisions = session.exec(select(Revision)).all()
    assert {(r.actor_id, r.actor_label, r.number) for r in revisions} == {
        (admin.id, "Ada Admin", 1)}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert (entry.actor_id, entry.target) == (admin.id, "file atlas.csv")
    assert entry.detail == {"file": "atlas.csv", "format": "atlas", "new": 3, "updated": 0,
                            "unchanged": 0, "refused": 6}

    result = client.get(done.headers["location"])
    assert result.status_code == 200
    result_page = soup(result.text)
    assert result_page.h1.get_text(strip=True) == "Imported atlas.csv"
    assert [li.get_text(" ", strip=True) for li in result_page.select(".import-counts li")] == [
        "3 new", "0 updated", "0 unchanged", "6 refused"]

    # Confirming the same report again: the file is gone, nothing is imported twice.
    again = client.post("/staff/import/confirm", data=fields)
    assert again.status_code == 422
    assert "This upload is no longer stored." in soup(again.text).select_one(
        "#file-error").get_text()
    assert len(deployments(session)) == 3


def test_an_export_uploaded_back_has_nothing_to_import(
    client: TestClient, session: Session, settings: Settings
) -> None:
    source = make_source(session, "A; source", url="https://s.example/?a=1;b=2")
    make_deployment(session, "=Formula title", summary="Line one\n\n-line two",
                    capabilities=["cctv", "alpr"], sources=[source, make_source(session, "B")])
    exported = client.get("/deployments.csv")
    assert exported.status_code == 200
    signed_in_admin(client, session)
    response = upload(client, exported.content, name="deployments.csv", layout="native")
    page = soup(response.text)
    assert response.status_code == 200
    assert page.select_one("form.import-confirm") is None
    assert "Nothing to import" in page.select_one("p.notice").get_text()
    assert [li.get_text(" ", strip=True) for li in page.select(".import-counts li")] == [
        "0 new", "0 updated", "1 unchanged", "0 refused"]
    assert not (settings.data_dir / "imports").exists() or not any(
        (settings.data_dir / "imports").iterdir())


def test_bad_uploads_re_render_the_form_with_a_field_error(
    client: TestClient, session: Session
) -> None:
    signed_in_admin(client, session)
    token = form_token(client.get("/staff/import").text)
    missing = client.post("/staff/import", data={"csrf_token": token, "format": "auto"},
                          files={"file": ("", b"", "application/octet-stream")})
    assert missing.status_code == 422
    page = soup(missing.text)
    assert page.select_one("#file-error").get_text() == "Choose a CSV file to import."
    assert page.select_one("#file")["aria-invalid"] == "true"

    binary = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", name="photo.png")
    assert binary.status_code == 422
    assert "not a CSV file" in soup(binary.text).select_one("#file-error").get_text()

    wrong = upload(client, atlas_file(atlas_row("AOS1")), layout="native")
    assert wrong.status_code == 422
    assert "missing columns of our export's layout" in soup(wrong.text).select_one(
        "#file-error").get_text()
    assert soup(wrong.text).select_one("input[name=format][value=native]").has_attr("checked")

    layout = client.post("/staff/import", data={"csrf_token": token, "format": "excel"},
                         files={"file": ("a.csv", CRAFTED_ATLAS, "text/csv")})
    assert layout.status_code == 422
    assert soup(layout.text).select_one("#format-error").get_text() == "Pick one of the layouts."
    assert deployments(session) == []


def test_a_tampered_confirmation_imports_nothing(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    fields = confirm_fields(soup(upload(client, CRAFTED_ATLAS).text))
    for changed in ({"sha256": "0" * 64}, {"token": "../../secret_key"}, {"token": ""}):
        response = client.post("/staff/import/confirm", data={**fields, **changed})
        assert response.status_code == 422
        assert "Upload the file again" in soup(response.text).select_one("#file-error").get_text()
    assert deployments(session) == []
    assert client.get("/staff/import/done/999999").status_code == 404
