"""The lookup tables: folding, and every name leading back to its own code."""

from __future__ import annotations

import pytest

from function.pipeline import lookups


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        pytest.param("United States", "unitedstates", id="case and spaces are dropped"),
        pytest.param("U.S.A.", "usa", id="dots are dropped"),
        pytest.param("  New   York ", "newyork", id="surrounding and repeated spaces are dropped"),
        pytest.param("Côte d'Ivoire", "cotedivoire", id="accents and apostrophes are dropped"),
        pytest.param("Cote\u0302 d\u2019Ivoire", "cotedivoire", id="decomposed accents and curly quotes go"),
        pytest.param("Trinidad & Tobago", "trinidadandtobago", id="an ampersand reads as and"),
        pytest.param("Straße", "strasse", id="sharp s case-folds to ss"),
        pytest.param("日本", "日本", id="letters of other scripts are kept"),
        pytest.param("", "", id="an empty string folds to empty"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert lookups.fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("USA", "us", id="alpha-3 USA is us"),
        pytest.param("United States", "us", id="the ISO short name United States is us"),
        pytest.param("United States of America", "us", id="the official name is us"),
        pytest.param("U.S.A.", "us", id="a dotted USA is us"),
        pytest.param("us", "us", id="an alpha-2 code maps to itself"),
        pytest.param("GBR", "gb", id="alpha-3 GBR is gb"),
        pytest.param("United Kingdom", "gb", id="United Kingdom is gb"),
        pytest.param("Great Britain", "gb", id="Great Britain is gb"),
        pytest.param("UK", "gb", id="UK, which is not an ISO code, is gb"),
        pytest.param("Deutschland", "de", id="the local name Deutschland is de"),
        pytest.param("germany", "de", id="lower-case germany is de"),
        pytest.param("DEU", "de", id="alpha-3 DEU is de"),
        pytest.param("España", "es", id="a local name with an accent is found"),
        pytest.param("Mexico", "mx", id="a name typed without its accent is found"),
        pytest.param("Türkiye", "tr", id="the current name of Turkey is tr"),
        pytest.param("Turkey", "tr", id="the former English name of Turkey is tr"),
        pytest.param("Korea, Republic of", "kr", id="an inverted ISO name is found"),
        pytest.param("South Korea", "kr", id="a common name is found"),
        pytest.param("Ivory Coast", "ci", id="an English alternate is found"),
        pytest.param("Bosnia & Herzegovina", "ba", id="an ampersand matches and"),
        pytest.param("Atlantis", None, id="an unknown name is not a country"),
        pytest.param("XK", None, id="an unassigned alpha-2 code is not a country"),
        pytest.param("", None, id="an empty string is not a country"),
    ],
)
def test_country_code(raw: str, code: str | None) -> None:
    assert lookups.country_code(raw) == code


def test_every_iso_country_is_in_the_table() -> None:
    assert len(lookups._COUNTRIES) == 249


def test_every_country_name_leads_back_to_its_code() -> None:
    strays = {
        name: code
        for code, names in lookups._COUNTRIES.items()
        for name in (code, *names)
        if lookups.country_code(name) != code
    }
    assert strays == {}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("California", "ca", id="California is ca"),
        pytest.param("new york", "ny", id="lower-case new york is ny"),
        pytest.param("Washington", "wa", id="Washington is the state wa"),
        pytest.param("Washington, D.C.", "dc", id="Washington DC is dc"),
        pytest.param("District of Columbia", "dc", id="District of Columbia is dc"),
        pytest.param("Puerto Rico", "pr", id="a territory has its USPS code"),
        pytest.param("Québec", "qc", id="a Canadian province with an accent is found"),
        pytest.param("Nouvelle-Écosse", "ns", id="a French province name is found"),
        pytest.param("Bavaria", None, id="a region outside the US and Canada is not in the table"),
        pytest.param("CA", None, id="a code is not a name"),
    ],
)
def test_state_code(raw: str, code: str | None) -> None:
    assert lookups.state_code(raw) == code


@pytest.mark.parametrize(
    "table", [lookups._US_STATES, lookups._CA_PROVINCES], ids=["US states", "Canadian provinces"]
)
def test_every_state_name_leads_back_to_its_code(table: dict[str, str]) -> None:
    assert all(lookups.state_code(name) == code for name, code in table.items())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("female", "f", id="female is f"),
        pytest.param("Woman", "f", id="Woman is f"),
        pytest.param("F", "f", id="upper-case F is f"),
        pytest.param("MALE", "m", id="MALE is m"),
        pytest.param("man", "m", id="man is m"),
        pytest.param("m", "m", id="m is m"),
        pytest.param("non-binary", "n", id="non-binary is n"),
        pytest.param("nonbinary", "n", id="nonbinary is n"),
        pytest.param("Non Binary", "n", id="Non Binary is n"),
        pytest.param("N", "n", id="N is n"),
        pytest.param("w", None, id="w is not a gender code"),
        pytest.param("unknown", None, id="other words are not genders"),
    ],
)
def test_gender_code(raw: str, code: str | None) -> None:
    assert lookups.gender_code(raw) == code
