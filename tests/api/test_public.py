"""The public API on SQLite and PostgreSQL: the contract's shapes, filters, standing,
caching that is never stale, CORS, CSV, Atom and the OpenAPI description."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.public_bodies import cache_for
from registry.bootstrap import open_registry
from registry.models import Declaration, Organisation, Signatory
from tests.api.conftest import Web
from tests.api.public_seed import (
    ACTIVE,
    EMAIL,
    LAPSED,
    LAPSED_SINCE,
    MERGED,
    SIGNER,
    SLUG,
    UNDONE,
    WITHDRAWN,
    WITHDRAWN_SINCE,
    approve,
    seed_public_list,
)

CONTRACT = (  # in the CSV's order
    "organisation",
    "organisation_number",
    "county",
    "declaration",
    "signed_date",
    "verified_at",
    "follow_up_due",
)
CONTRACT_KEYS = set(CONTRACT)
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC_GETS = (
    "/api/v1/declarations",
    "/api/v1/signatories?status=all",
    "/api/v1/signatories.csv?status=all",
    "/api/v1/signatories.atom?status=all",
    "/embed/signatories?declaration=jamstalld-industri",
)


@pytest.fixture
def seeded(web: Web) -> TestClient:
    seed_public_list(web.registry.sessions)
    return web.client()


def names(response: object) -> list[str]:
    return [i["organisation"] for i in response.json()["items"]]  # type: ignore[attr-defined]


def test_the_list_has_exactly_the_contract_shape(seeded: TestClient) -> None:
    r = seeded.get("/api/v1/signatories")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"items", "total", "page", "page_size"}
    assert (body["total"], body["page"], body["page_size"]) == (5, 1, 100)
    assert all(set(item) == CONTRACT_KEYS for item in body["items"])
    # Swedish alphabetical order: Å, Ä, Ö after Z
    assert names(r) == list(ACTIVE)
    luleå = body["items"][2]
    assert luleå["county"] == "Norrbotten" and luleå["declaration"] == SLUG
    assert (luleå["signed_date"], luleå["follow_up_due"]) == ("2023-05-11", "2025-05-11")
    assert dt.datetime.fromisoformat(luleå["verified_at"]) == dt.datetime(
        2026, 3, 3, 9, 0, tzinfo=dt.UTC
    )
    assert luleå["organisation_number"].count("-") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("declaration=jamstalld-industri", list(ACTIVE)),
        ("declaration=cemr-charter", []),
        ("declaration=no-such", []),
        ("county=Norrbotten", ["Kuusakoski Sverige AB", "Luleå kommun", "Älvsbyns Energi AB"]),
        ("county=v%C3%84STERBOTTEN", ["Boliden Mineral AB", "Umeå universitet"]),
        (
            "county=Norrbottens%20l%C3%A4n",
            ["Kuusakoski Sverige AB", "Luleå kommun", "Älvsbyns Energi AB"],
        ),
        ("q=LULE%C3%85", ["Luleå kommun"]),
        ("q=%C3%A4lvsbyn", ["Älvsbyns Energi AB"]),
        ("q=ab&county=norrbotten", ["Kuusakoski Sverige AB", "Älvsbyns Energi AB"]),
        ("q=Tromb", []),
    ],
)
def test_filters_and_search(seeded: TestClient, query: str, expected: list[str]) -> None:
    assert names(seeded.get(f"/api/v1/signatories?{query}")) == expected


def test_search_by_organisation_number(seeded: TestClient) -> None:
    first = seeded.get("/api/v1/signatories").json()["items"][0]
    digits = first["organisation_number"].replace("-", "")
    assert names(seeded.get(f"/api/v1/signatories?q={digits}")) == [first["organisation"]]
    assert names(seeded.get(f"/api/v1/signatories?q={first['organisation_number']}")) == [
        first["organisation"]
    ]


def test_pages(seeded: TestClient) -> None:
    pages = [seeded.get(f"/api/v1/signatories?page_size=2&page={n}").json() for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    got = [i["organisation"] for p in pages for i in p["items"]]
    assert got == list(ACTIVE)
    assert seeded.get("/api/v1/signatories?page_size=500").json()["page_size"] == 500


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=", "page"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("status=gone", "status"),
        ("status=Active", "status"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_are_422_with_the_reason(web: Web, query: str, field: str) -> None:
    r = web.client().get(f"/api/v1/signatories?{query}")
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == ["query", field]
    if field == "status":
        assert "'active', 'withdrawn', 'lapsed' or 'all'" in error["msg"]
    assert r.headers["access-control-allow-origin"] == "*"  # other sites can read why


def test_standing_is_shown_only_where_asked_and_never_as_active(seeded: TestClient) -> None:
    default = seeded.get("/api/v1/signatories").json()["items"]
    assert {WITHDRAWN, LAPSED, UNDONE, MERGED}.isdisjoint(i["organisation"] for i in default)
    active = seeded.get("/api/v1/signatories?status=active").json()["items"]
    assert [i["organisation"] for i in active] == list(ACTIVE)
    assert all(set(i) == CONTRACT_KEYS | {"status", "status_since"} for i in active)
    assert {(i["status"], i["status_since"]) for i in active} == {("active", None)}

    withdrawn = seeded.get("/api/v1/signatories?status=withdrawn").json()
    assert withdrawn["total"] == 1
    (w,) = withdrawn["items"]
    assert (w["organisation"], w["status"], w["status_since"]) == (
        WITHDRAWN,
        "withdrawn",
        WITHDRAWN_SINCE.isoformat(),
    )
    (lapsed,) = seeded.get("/api/v1/signatories?status=lapsed").json()["items"]
    assert (lapsed["organisation"], lapsed["status"], lapsed["status_since"]) == (
        LAPSED,
        "lapsed",
        LAPSED_SINCE.isoformat(),
    )
    every = seeded.get("/api/v1/signatories?status=all").json()["items"]
    standing = {i["organisation"]: i["status"] for i in every}
    assert standing == {**dict.fromkeys(ACTIVE, "active"), WITHDRAWN: "withdrawn", LAPSED: "lapsed"}


def test_declarations_count_active_verified_signatories(seeded: TestClient) -> None:
    r = seeded.get("/api/v1/declarations")
    assert r.status_code == 200
    by_slug = {d["slug"]: d for d in r.json()["items"]}
    assert by_slug[SLUG]["signatories"] == 5
    assert by_slug[SLUG]["counties"] == {"Norrbotten": 3, "Västerbotten": 2}
    assert by_slug[SLUG]["title"] and by_slug[SLUG]["follow_up_years"] == 2
    assert by_slug["cemr-charter"]["signatories"] == 0


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_etag_304_cache_control_and_cors(web: Web, seeded: TestClient, path: str) -> None:
    first = seeded.get(path, headers={"origin": "https://www.lansstyrelsen.se"})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["cache-control"] == (
        f"public, max-age={web.settings.public_max_age}, must-revalidate"
    )
    assert first.headers["access-control-allow-origin"] == "*"
    assert "etag" in first.headers["access-control-expose-headers"].lower()
    assert "vary" not in first.headers  # nothing depends on the Origin or the language
    assert "x-frame-options" not in first.headers
    for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = seeded.get(path, headers={"if-none-match": validator})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == first.headers["cache-control"]
        assert again.headers["access-control-allow-origin"] == "*"
    assert seeded.get(path, headers={"if-none-match": '"other"'}).status_code == 200
    assert seeded.head(path).headers["etag"] == etag


def test_etags_differ_by_query_and_agree_on_equivalent_queries(seeded: TestClient) -> None:
    def etag(query: str) -> str:
        return seeded.get(f"/api/v1/signatories?{query}").headers["etag"]

    assert etag("county=Norrbotten") == etag("county=norrbottens%20l%C3%A4n&unknown=1")
    assert etag("county=Norrbotten") != etag("county=V%C3%A4sterbotten")
    assert etag("") == etag("page=1&page_size=100") != etag("status=active")


def test_preflight(seeded: TestClient) -> None:
    for path in ("/api/v1/signatories", "/api/v1/signatories.csv", "/embed/signatories.js"):
        r = seeded.options(
            path,
            headers={
                "origin": "https://partner.example",
                "access-control-request-method": "GET",
                "access-control-request-headers": "if-none-match",
            },
        )
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "*"
        assert "GET" in r.headers["access-control-allow-methods"]
        assert "if-none-match" in r.headers["access-control-allow-headers"].lower()


def test_a_new_approval_is_in_the_very_next_response(web: Web, seeded: TestClient) -> None:
    paths = [
        "/api/v1/signatories",
        "/api/v1/signatories.csv",
        "/api/v1/signatories.atom",
        "/api/v1/declarations",
        "/embed/signatories",
    ]
    before = {p: seeded.get(p) for p in paths}
    cache = cache_for(web.app)
    builds = cache.builds
    assert all(seeded.get(p).status_code == 200 for p in paths)
    assert cache.builds == builds  # served from the cache
    approve(web.registry.sessions, "Nya Stålverket AB", "Norrbotten")
    for p in paths:
        after = seeded.get(p, headers={"if-none-match": before[p].headers["etag"]})
        assert after.status_code == 200, p  # not 304: the list changed
        assert after.headers["etag"] != before[p].headers["etag"]
        if p != "/api/v1/declarations":
            assert "Nya Stålverket AB" in after.text, p
    assert seeded.get("/api/v1/signatories").json()["total"] == 6
    assert cache.builds == builds + len(paths)


def test_two_web_processes_on_one_database_are_never_stale(web: Web, seeded: TestClient) -> None:
    """A second app on the same database keeps its own cache and reads the version too."""
    other_registry = open_registry(web.settings.database_url, migrate=False)
    try:
        other = TestClient(create_app(web.settings, registry=other_registry))
        for client in (seeded, other):
            assert client.get("/api/v1/signatories").json()["total"] == 5
        approve(web.registry.sessions, "Nya Stålverket AB", "Norrbotten")
        for client in (other, seeded):
            assert "Nya Stålverket AB" in names(client.get("/api/v1/signatories"))
        with web.registry.sessions.begin() as s:  # a withdrawal leaves the active list at once
            org = s.query(Organisation).filter_by(name="Nya Stålverket AB").one()
            row = s.query(Signatory).filter_by(organisation_id=org.id).one()
            row.status, row.status_since = "withdrawn", dt.date(2026, 4, 1)
        for client in (other, seeded):
            assert "Nya Stålverket AB" not in names(client.get("/api/v1/signatories"))
    finally:
        other_registry.close()


def test_no_signer_name_or_email_in_any_public_response(seeded: TestClient) -> None:
    for path in PUBLIC_GETS:
        text = seeded.get(path).text
        assert SIGNER not in text and EMAIL not in text, path
        assert "Greta" not in text and "example.se" not in text, path


def test_csv_parses_with_the_contract_columns(seeded: TestClient) -> None:
    r = seeded.get("/api/v1/signatories.csv?county=Norrbotten")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == ('attachment; filename="signatories-norrbotten.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))
    assert rows[0] == list(CONTRACT)
    assert [row[0] for row in rows[1:]] == [
        "Kuusakoski Sverige AB",
        "Luleå kommun",
        "Älvsbyns Energi AB",
    ]
    json_items = seeded.get("/api/v1/signatories?county=Norrbotten").json()["items"]
    assert [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] == [
        {k: v or "" for k, v in item.items()} for item in json_items
    ]
    every = list(csv.DictReader(io.StringIO(seeded.get("/api/v1/signatories.csv?status=all").text)))
    assert list(every[0]) == [*rows[0], "status", "status_since"]
    by_name = {row["organisation"]: row for row in every}
    assert (by_name[WITHDRAWN]["status"], by_name[WITHDRAWN]["status_since"]) == (
        "withdrawn",
        WITHDRAWN_SINCE.isoformat(),
    )
    assert (by_name["Luleå kommun"]["status"], by_name["Luleå kommun"]["status_since"]) == (
        "active",
        "",
    )


def test_atom_feed_is_rfc_4287_newest_first(web: Web, seeded: TestClient) -> None:
    r = seeded.get("/api/v1/signatories.atom?declaration=jamstalld-industri&county=Norrbotten")
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    assert "Jämställd industri" in feed.findtext(f"{ATOM}title", "")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    (self_link,) = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link.get("href") == (
        f"{web.settings.public_url}/api/v1/signatories.atom?declaration=jamstalld-industri&county=norrbotten"
    )
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["Älvsbyns Energi AB", "Luleå kommun", "Kuusakoski Sverige AB"]  # newest first
    updated = [dt.datetime.fromisoformat(e.findtext(f"{ATOM}updated", "")) for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated", "")) == updated[0]
    ids = [e.findtext(f"{ATOM}id", "") for e in entries]
    assert len(set(ids)) == 3 and all(i.startswith("urn:uuid:") for i in ids)
    summary = entries[1].findtext(f"{ATOM}summary", "")
    assert summary == (
        "Luleå kommun har undertecknat Avsiktsförklaring Jämställd industri (Norrbotten) "
        "den 11 maj 2023."
    )
    assert all(e.find(f"{ATOM}link[@rel='alternate']") is not None for e in entries)
    again = ET.fromstring(
        seeded.get(
            "/api/v1/signatories.atom?county=Norrbotten&declaration=jamstalld-industri"
        ).content
    )
    assert [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")] == ids  # stable ids
    withdrawn = ET.fromstring(seeded.get("/api/v1/signatories.atom?status=withdrawn").content)
    (entry,) = withdrawn.findall(f"{ATOM}entry")
    assert "Utträdd sedan den 15 januari 2026." in entry.findtext(f"{ATOM}summary", "")


def test_atom_feed_has_the_last_50(web: Web) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with web.registry.sessions.begin() as s:
        declaration_id = s.scalar(select(Declaration.id).where(Declaration.slug == SLUG))
        assert declaration_id is not None
        for i in range(55):
            org = Organisation(name=f"Organisation {i:02d}", county="Norrbotten", aliases=[])
            s.add(org)
            s.flush()
            s.add(
                Signatory(
                    organisation_id=org.id,
                    declaration_id=declaration_id,
                    signed_date=dt.date(2025, 1, 1),
                    verified_by="import",
                    verified_at=start + dt.timedelta(hours=i),
                    follow_up_due=dt.date(2027, 1, 1),
                )
            )
    feed = ET.fromstring(web.client().get("/api/v1/signatories.atom").content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == [f"Organisation {i:02d}" for i in range(54, 4, -1)]


def test_cli_gives_the_api_shape(
    web: Web, seeded: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNREG_DATABASE_URL", web.settings.database_url)
    runner = CliRunner()
    for query, args in [
        ("", []),
        ("status=all&county=norrbotten", ["--status", "all", "--county", "norrbotten"]),
    ]:
        api_items = seeded.get(f"/api/v1/signatories?{query}").json()["items"]
        cli = runner.invoke(cli_app, ["signatories", "--json", *args])
        assert cli.exit_code == 0, cli.output
        assert json.loads(cli.stdout) == api_items
        cli_csv = runner.invoke(cli_app, ["signatories", "--csv", *args])
        assert cli_csv.stdout.replace("\r\n", "\n") == seeded.get(
            f"/api/v1/signatories.csv?{query}"
        ).text.replace("\r\n", "\n")
    bad = runner.invoke(cli_app, ["signatories", "--json", "--status", "gone"])
    assert bad.exit_code == 2


def test_openapi_describes_every_public_route(web: Web) -> None:
    client = web.client()
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    public = [
        "/api/v1/declarations",
        "/api/v1/signatories",
        "/api/v1/signatories.csv",
        "/api/v1/signatories.atom",
        "/embed/signatories",
        "/embed/signatories.js",
        "/embed/signatories.css",
    ]
    for path in public:
        op = paths[path]["get"]
        assert op["summary"] and op["description"], path
        assert {"200", "304"} <= set(op["responses"]), path
        for param in op.get("parameters", []):
            assert param["description"], (path, param["name"])
        if op.get("parameters"):
            assert "422" in op["responses"], path
        assert "options" not in paths[path]
    listed = paths["/api/v1/signatories"]["get"]
    params = {p["name"]: p for p in listed["parameters"]}
    assert set(params) == {"declaration", "county", "q", "status", "page", "page_size"}
    assert params["status"]["schema"]["anyOf"][0]["$ref"].endswith("/StatusFilter")
    assert params["declaration"]["schema"]["examples"] == ["jamstalld-industri"]
    schemas = spec["components"]["schemas"]
    assert schemas["StatusFilter"]["enum"] == ["active", "withdrawn", "lapsed", "all"]
    assert schemas["SignatoryPublic"]["examples"][0]["organisation"] == "Boliden Mineral AB"
    assert schemas["SignatoryPage"]["examples"]
    assert not any(p.startswith(("/review", "/login", "/admin")) for p in paths)


def test_the_version_is_read_again_after_a_lost_connection(web: Web, seeded: TestClient) -> None:
    assert seeded.get("/api/v1/signatories").json()["total"] == 5
    reader = cache_for(web.app)._version  # PostgreSQL keeps one connection for it
    if reader._conn is not None:
        reader._conn.close()  # as when the server restarts
    approve(web.registry.sessions, "Nya Stålverket AB", "Norrbotten")
    assert seeded.get("/api/v1/signatories").json()["total"] == 6
