"""The lookup tables: folding, and every name leading back to its own code."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pycountry
import pytest

from function.pipeline import lookups

ROOT = Path(__file__).resolve().parents[3]


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


def test_every_iso_country_is_found_by_its_codes_and_english_names() -> None:
    countries = list(pycountry.countries)  # pycountry's own reading of its data, to check ours
    strays = {
        name: country.alpha_2
        for country in countries
        for name in (country.alpha_2, country.alpha_3,
                     *(getattr(country, field, "") for field in lookups._COUNTRY_NAME_FIELDS))
        if name and lookups.country_code(name) != country.alpha_2.lower()
    }
    assert len(countries) == 249
    assert strays == {}


def test_every_own_country_spelling_leads_to_its_code() -> None:
    assert all(lookups.country_code(name) == code for name, code in lookups._OWN_COUNTRY_SPELLINGS.items())


@pytest.mark.parametrize(
    ("table", "iso"),
    [
        pytest.param(lookups._OWN_COUNTRY_SPELLINGS, lambda: {**lookups._translated_countries(),
                                                                **_iso_countries()}, id="countries"),
        pytest.param(lookups._OWN_STATE_SPELLINGS, lambda: _iso_states(), id="states"),
    ],
)
def test_own_spellings_are_only_those_iso_lacks(table: dict[str, str],
                                               iso: Callable[[], dict[str, str]]) -> None:
    assert sorted(name for name in table if lookups.fold(name) in iso()) == []


def _iso_countries() -> dict[str, str]:
    """The country lookup without our own spellings."""
    own = {lookups.fold(name) for name in lookups._OWN_COUNTRY_SPELLINGS}
    return {key: code for key, code in lookups._countries().items() if key not in own}


def _iso_states() -> dict[str, str]:
    """The state lookup without our own spellings."""
    own = {lookups.fold(name) for name in lookups._OWN_STATE_SPELLINGS}
    return {key: code for key, code in lookups._states().items() if key not in own}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("Österreich", "at", id="the German name of Austria comes from the translations"),
        pytest.param("Osterreich", "at", id="a translated name typed without its accent is found"),
        pytest.param("Belgique", "be", id="the French name of Belgium is found"),
        pytest.param("Suomi", "fi", id="the Finnish name of Finland is found"),
        pytest.param("Ελλάδα", "gr", id="a name in Greek script is found"),
        pytest.param("日本", "jp", id="a name in Japanese script is found"),
        pytest.param("Czech Republic", "cz", id="an ISO official name is found"),
        pytest.param("Vietnam", "vn", id="an ISO common name is found"),
    ],
)
def test_country_names_come_from_iso_and_its_translations(raw: str, code: str) -> None:
    assert lookups.country_code(raw) == code


def test_a_name_two_languages_give_to_different_countries_decides_nothing() -> None:
    translated = lookups._translated_countries()
    assert translated  # the translations ship with pycountry and were read
    assert "litwiya" not in translated  # Lithuania in one language, Latvia in another
    assert lookups.country_code("Litwiya") is None


def test_english_names_win_over_translations() -> None:
    assert lookups.country_code("Mexico") == "mx"  # one translation calls Malaysia so
    assert lookups.country_code("Samoa") == "ws"  # one calls American Samoa so


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
        pytest.param("Colombie-Britannique", "bc", id="a French province name comes from the translations"),
        pytest.param("Île-du-Prince-Édouard", "pe", id="a French name matches despite its punctuation"),
        pytest.param("Newfoundland", "nl", id="an own spelling is found"),
        pytest.param("Armed Forces Europe", "ae", id="a USPS military state is found"),
        pytest.param("Bavaria", None, id="a region outside the US and Canada is not in the table"),
        pytest.param("CA", None, id="a code is not a name"),
    ],
)
def test_state_code(raw: str, code: str | None) -> None:
    assert lookups.state_code(raw) == code


@pytest.mark.parametrize("country", lookups._STATE_COUNTRIES)
def test_every_iso_subdivision_leads_to_its_code(country: str) -> None:
    subdivisions = list(pycountry.subdivisions.get(country_code=country))  # pycountry's own reading
    assert subdivisions
    assert all(lookups.state_code(s.name) == s.code.removeprefix(f"{country}-").lower() for s in subdivisions)


def test_every_own_state_spelling_leads_to_its_code() -> None:
    assert all(lookups.state_code(name) == code for name, code in lookups._OWN_STATE_SPELLINGS.items())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("usd", "USD", id="a lower-case code is upper-cased"),
        pytest.param(" EUR ", "EUR", id="a code with spaces is trimmed"),
        pytest.param("CHF", "CHF", id="an ISO 4217 code passes"),
        pytest.param("XYZ", None, id="three letters that are no ISO 4217 code are not a currency"),
        pytest.param("HRK", None, id="a withdrawn code is not a currency"),
        pytest.param("DOLLARS", None, id="a word is not a currency"),
    ],
)
def test_currency_code(raw: str, code: str | None) -> None:
    assert lookups.currency_code(raw) == code


def test_the_currencies_and_languages_are_those_pycountry_reads() -> None:
    assert lookups._currencies() == {currency.alpha_3 for currency in pycountry.currencies}
    assert lookups._languages() == {
        language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2")
    }
    assert len(lookups._languages()) == 184


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("de", "de", id="an ISO 639-1 code passes"),
        pytest.param("EN", "en", id="an upper-case code is lower-cased"),
        pytest.param("xx", None, id="two letters that are no ISO 639-1 code are not a language"),
        pytest.param("eng", None, id="a three-letter ISO 639-3 code is not ISO 639-1"),
    ],
)
def test_language_code(raw: str, code: str | None) -> None:
    assert lookups.language_code(raw) == code


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


def test_the_iso_data_is_read_on_first_use_not_at_import() -> None:
    script = (
        "import json, sys\n"
        "from function import app  # the whole gateway, as a cold start imports it\n"
        "from function.pipeline import lookups\n"
        "loaded = lambda: [f.__name__ for f in (lookups._countries, lookups._translated_countries,\n"
        "    lookups._states, lookups._currencies, lookups._languages) if f.cache_info().currsize]\n"
        "at_import = loaded()\n"
        "lookups.country_code('...'); lookups.country_code('US'); lookups.currency_code('usd')\n"
        "print(json.dumps([at_import, loaded(), 'pycountry' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == [[], ["_countries", "_currencies"], False]


def test_request_threads_that_meet_an_unread_table_together_read_it_once() -> None:
    reads: list[int] = []

    def build() -> dict[str, str]:
        reads.append(1)
        time.sleep(0.05)  # a read takes a while: the other threads arrive during it
        return {"on": "on"}

    table = lookups._read_once(build)
    threads = [threading.Thread(target=table) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [1]
    assert table() == {"on": "on"}
    assert table.__name__ == "build"  # the table is still told by its own name
