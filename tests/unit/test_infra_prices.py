"""Price tables: every rate cites the pages it was checked against, or says why it could not be checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generators.infra import clouds
from generators.infra.clouds import DATA
from generators.infra.prices import citation_problem
from generators.infra.prices import load
from generators.infra.prices import rate_entries

TABLES = sorted(DATA.glob("*-prices.json"))
VERIFIED = {"usd": 0.045, "source": ["https://aws.amazon.com/vpc/pricing/"], "verified": "2026-11-26",
            "page_date": "undated"}
UNVERIFIED = {"usd": 0.1, "source": ["https://aws.amazon.com/eks/pricing/"], "unverified": "not found"}


def write(tmp_path: Path, hourly: dict) -> Path:
    path = tmp_path / "test-prices.json"
    path.write_text(json.dumps({"source": "test", "as_of": "2026-11-26", "note": "", "hours_per_month": 730,
                                "hourly": hourly}), encoding="utf-8")
    return path


def test_every_cloud_prices_from_a_table_here() -> None:
    assert {path.name for path in TABLES} == {f"{name}-prices.json" for name in clouds.available()}


@pytest.mark.parametrize("path", TABLES, ids=lambda path: path.stem)
def test_every_shipped_rate_carries_a_source_and_a_verified_date_or_an_unverified_reason(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    rates = dict(rate_entries(raw, path.name))
    assert len(rates) > 40
    assert {name: citation_problem(entry) for name, entry in rates.items() if citation_problem(entry)} == {}
    checked = load(path)["checked"]
    assert checked == {"verified": sum("verified" in entry for entry in rates.values()), "rates": len(rates)}


@pytest.mark.parametrize("path", TABLES, ids=lambda path: path.stem)
def test_the_estimate_sees_each_rate_as_its_figure(path: Path) -> None:
    raw, figures = json.loads(path.read_text(encoding="utf-8")), load(path)
    for name, entry in rate_entries(raw):
        node = figures
        for part in _parts(name, figures):
            node = node[part]
        assert node == entry["usd"], name


def _parts(name: str, figures: dict) -> list[str]:
    """section.key[.band] where the key itself may hold dots (db.t4g.micro)."""
    section, rest = name.split(".", 1)
    if rest in figures[section]:
        return [section, rest]
    key, band = rest.rsplit(".", 1)
    return [section, key, band]


def test_a_price_without_a_citation_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"hourly\.nat_gateway is a bare float"):
        load(write(tmp_path, {"eks_cluster": UNVERIFIED, "nat_gateway": 0.045}))
    with pytest.raises(ValueError, match=r"hourly\.redis\.M1 is a bare float"):
        load(write(tmp_path, {"redis": {"M1": 0.049, "M2": UNVERIFIED}}))


@pytest.mark.parametrize(("change", "problem"), [
    ({"source": []}, "needs a source"),
    ({"source": ["aws.amazon.com/vpc/pricing"]}, "needs a source"),
    ({"verified": None}, "exactly one of verified"),
    ({"unverified": "also"}, "exactly one of verified"),
    ({"verified": "26 Nov 2026"}, "not YYYY-MM-DD"),
    ({"page_date": ""}, "page_date"),
    ({"usd": "0.045"}, "numeric usd"),
])
def test_an_incomplete_citation_is_refused(tmp_path: Path, change: dict, problem: str) -> None:
    entry = {key: value for key, value in {**VERIFIED, **change}.items() if value is not None}
    with pytest.raises(ValueError, match=problem):
        load(write(tmp_path, {"nat_gateway": entry}))


def test_an_unverified_rate_must_say_why(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without saying why"):
        load(write(tmp_path, {"eks_cluster": {**UNVERIFIED, "unverified": " "}}))
    assert load(write(tmp_path, {"eks_cluster": UNVERIFIED, "nat_gateway": VERIFIED}))["checked"] == {
        "verified": 1, "rates": 2}
