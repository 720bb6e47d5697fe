"""The overview page (numbers within the viewer's scope) and the SVG charts it draws."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from api.charts import Bar, Chart, bar_chart, column_chart
from registry.models import Proposal
from registry.review import approve_proposal
from tests.api.conftest import Web
from tests.registry.helpers import propose, result

SVG = "{http://www.w3.org/2000/svg}"
SVG_RE = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" id="([^"]+)".*?</svg>', re.S)


def _texts(svg: ET.Element) -> list[str]:
    """Every text of a chart, a label wrapped over lines read as one."""
    return [" ".join(x for x in t.itertext() if x.strip()) for t in svg.iter(f"{SVG}text")]


def _charts(html: str) -> dict[str, ET.Element]:
    """Every chart on a page, parsed (a chart that is not well-formed XML fails here)."""
    return {m.group(1): ET.fromstring(m.group(0)) for m in SVG_RE.finditer(html)}


def _values(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == "value"]


def _seed(web: Web) -> None:
    """Approved: one Norrbotten, one Västerbotten signatory, signed ten days ago.
    Waiting: Norrbotten 2 hours and 40 days old, Västerbotten 10 days old."""
    now = dt.datetime.now(dt.UTC)
    signed = (now - dt.timedelta(days=10)).date().isoformat()
    ids = propose(
        web.registry.sessions,
        result(county="Norrbotten", signed_date=signed),
        result(
            county="Västerbotten",
            signed_date=signed,
            organisation="Ume AB",
            organisation_number="556036-0793",
        ),
        result(county="Norrbotten", organisation="Pite AB", organisation_number="556016-0680"),
        result(
            county="Västerbotten", organisation="Lycksele AB", organisation_number="212000-2627"
        ),
        result(county="Norrbotten", organisation="Kalix AB", organisation_number="202100-5489"),
    )
    ages = {
        ids[2]: dt.timedelta(hours=2),
        ids[3]: dt.timedelta(days=10),
        ids[4]: dt.timedelta(days=40),
    }
    with web.registry.sessions.begin() as s:
        for pid in ids[:2]:
            approve_proposal(session=s, proposal_id=pid, reviewer="web:admin", now=now)
        for pid, age in ages.items():
            row = s.get(Proposal, pid)
            assert row is not None
            row.created_at = now - age


def test_the_overview_shows_the_numbers_as_accessible_charts(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    _seed(web)
    page = web.signed_in("admin").get("/review/overview")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    figures = {
        k: re.search(rf'id="figure-{k}"><strong>(\d+)', page.text)
        for k in ("verified", "waiting", "overdue")
    }
    assert {k: m.group(1) for k, m in figures.items() if m} == {
        "verified": "2",
        "waiting": "3",
        "overdue": "0",
    }
    assert "40 dagar" in page.text
    charts = _charts(page.text)
    assert set(charts) == {
        "chart-declarations",
        "chart-counties",
        "chart-months",
        "chart-queue",
        "chart-follow-ups",
    }
    for chart_id, svg in charts.items():
        assert svg.get("role") == "img" and svg.get("aria-label")
        assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
        assert f'id="{chart_id}-table"' in page.text  # the numbers again, for screen readers
    counties = charts["chart-counties"]
    assert _texts(counties) == ["Norrbotten", "1", "Västerbotten", "1"]
    assert "2 totalt" in (counties.findtext(f"{SVG}desc") or "")
    assert _values(charts["chart-queue"]) == ["1", "0", "1", "1"]
    assert _values(charts["chart-months"])[-1] in ("2", "0")  # this month, or the last
    assert sum(map(int, _values(charts["chart-months"]))) == 2
    assert len(_values(charts["chart-months"])) == 24
    assert _values(charts["chart-follow-ups"]) == ["0", "0", "0", "0"]  # due in two years
    declarations = dict(
        zip(
            _texts(charts["chart-declarations"])[::2],
            _values(charts["chart-declarations"]),
            strict=True,
        )
    )
    assert declarations["Avsiktsförklaring Jämställd industri"] == "2"


def test_a_reviewer_limited_to_a_county_sees_only_its_numbers(web: Web) -> None:
    web.add_reviewer("nora", counties=["Norrbotten"])
    _seed(web)
    page = web.signed_in("nora").get("/review/overview")
    assert page.status_code == 200 and 'id="overview-scope"' in page.text
    assert re.search(r'id="figure-verified"><strong>1<', page.text)
    assert re.search(r'id="figure-waiting"><strong>2<', page.text)
    charts = _charts(page.text)
    assert _texts(charts["chart-counties"]) == ["Norrbotten", "1"]
    assert _values(charts["chart-queue"]) == ["1", "0", "0", "1"]


def test_the_overview_needs_a_sign_in(web: Web) -> None:
    response = web.client().get("/review/overview")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- api.charts, pure ----------------------------------------------------------------


@pytest.mark.parametrize("draw", [bar_chart, column_chart])
def test_a_chart_is_valid_svg_with_its_numbers_and_words_escaped(draw) -> None:  # type: ignore[no-untyped-def]
    bars = [Bar('<script>alert("x")</script> & Co', 7), Bar("Västerbotten", 3), Bar("Tom", 0)]
    svg = ET.fromstring(draw(bars, chart_id="c1", title="T & <t>", desc='D "d"'))
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert svg.get("aria-label") == "T & <t>" and svg.get("aria-describedby") == "c1-desc"
    assert svg.findtext(f"{SVG}title") == "T & <t>" and svg.findtext(f"{SVG}desc") == 'D "d"'
    texts = _texts(svg)
    assert '<script>alert("x")</script> & Co' in texts and "Västerbotten" in texts
    assert _values(svg) == ["7", "3", "0"]
    assert "<script>" not in draw(bars, chart_id="c1", title="t", desc="d")


def test_bars_are_in_proportion_to_their_values() -> None:
    svg = ET.fromstring(
        bar_chart([Bar("a", 10), Bar("b", 5), Bar("c", 0)], chart_id="c", title="t", desc="d")
    )
    widths = [float(r.get("width") or "nan") for r in svg.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    columns = ET.fromstring(
        column_chart([Bar("a", 4), Bar("b", 1)], chart_id="c", title="t", desc="d")
    )
    heights = [float(r.get("height") or "nan") for r in columns.iter(f"{SVG}rect")]
    assert heights[0] == pytest.approx(4 * heights[1], abs=0.2)


@pytest.mark.parametrize("draw", [bar_chart, column_chart])
def test_an_empty_or_all_zero_chart_still_draws(draw) -> None:  # type: ignore[no-untyped-def]
    empty = ET.fromstring(draw([], chart_id="e", title="t", desc="d", empty="Inga ännu."))
    assert _texts(empty) == ["Inga ännu."]
    zeros = ET.fromstring(draw([Bar("a", 0), Bar("b", 0)], chart_id="z", title="t", desc="d"))
    assert _values(zeros) == ["0", "0"]


def test_a_long_label_is_wrapped_between_words_not_cut() -> None:
    title = (
        "CEMR-deklarationen: Den europeiska deklarationen för jämställdhet på lokal och "
        "regional nivå"
    )
    svg = ET.fromstring(bar_chart([Bar(title, 3)], chart_id="w", title="t", desc="d", width=300))
    spans = [s.text for s in svg.iter(f"{SVG}tspan")]
    assert len(spans) > 1 and all(s and len(s) <= 300 / 7.6 for s in spans)
    assert " ".join(s or "" for s in spans) == title


def test_a_chart_object_draws_its_shape_and_sums() -> None:
    chart = Chart("m", "Per month", "d", (Bar("2026-01", 2), Bar("2026-02", 3)), columns=True)
    assert chart.total == 5
    svg = ET.fromstring(chart.svg())
    assert svg.find(f"{SVG}line") is not None  # the column chart's base line
    assert ET.fromstring(Chart("b", "t", "d", (Bar("x", 1),)).svg()).find(f"{SVG}line") is None


def test_the_pages_speak_english_to_a_reviewer_who_chose_it(web: Web) -> None:
    web.add_reviewer("erik", locale="en")
    _seed(web)
    client = web.signed_in("erik")
    overview = client.get("/review/overview")
    assert 'lang="en"' in overview.text and "Verified signatories per county" in overview.text
    assert "40 days" in overview.text
    audit = client.get("/review/audit")
    assert "2 events" in audit.text and "Approved a proposal" in audit.text
