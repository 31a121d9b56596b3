"""Lookups behind the user-data normalizers: ISO data kept by pycountry, and the few spellings ISO lacks.

Countries (ISO 3166-1), US states and Canadian provinces (ISO 3166-2), currencies (ISO 4217) and
languages (ISO 639-1) come from pycountry's data files, each read on first use rather than at
import, so a cold start that meets none of them pays nothing. Names are matched through one
folding rule, `fold`, applied to both sides, so case, accents, spacing and punctuation never decide
a match.
"""

from __future__ import annotations

import functools
import gettext
import importlib.util
import json
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Country spellings that neither ISO 3166-1 nor pycountry's translations of it have → alpha-2.
_OWN_COUNTRY_SPELLINGS = {
    "UK": "gb",  # the usual abbreviation; ISO's code is GB
    "Great Britain": "gb",  # the island, commonly written for the state
    "Britain": "gb",  # the same, shorter
    "England": "gb",  # the UK's constituent countries, which ISO 3166-1 does not list
    "Scotland": "gb",
    "Wales": "gb",
    "Northern Ireland": "gb",
    "UAE": "ae",  # the usual abbreviation of United Arab Emirates
    "Emirates": "ae",  # the same, shortened
    "America": "us",  # the usual short English name
    "Turkey": "tr",  # the English name until ISO adopted Türkiye (2022)
    "Россия": "ru",  # the Russian short name; ISO's Russian translation is the long form
    "Nippon": "jp",  # the romanized Japanese name
    "The Netherlands": "nl",  # with the article people write
    "Macedonia": "mk",  # the name before North Macedonia (2019)
    "Cape Verde": "cv",  # the English name before Cabo Verde (2013)
    "East Timor": "tl",  # the English name of Timor-Leste
    "Democratic Republic of the Congo": "cd",  # ISO inverts it: "Congo, The Democratic Republic of the"
    "DR Congo": "cd",  # its usual abbreviation
    "Congo-Kinshasa": "cd",  # the two Congos told apart by their capitals
    "Congo-Brazzaville": "cg",
    "Palestine": "ps",  # ISO has only "Palestine, State of"
    "Falkland Islands": "fk",  # ISO adds "(Malvinas)"
    "Saint Martin": "mf",  # ISO adds "(French part)"
    "Sint Maarten": "sx",  # ISO adds "(Dutch part)"
    "Vatican City": "va",  # ISO has only "Holy See (Vatican City State)"
    "Holy See": "va",
}

# Names of the USPS state codes that ISO 3166-2 lacks (USPS Publication 28), and spellings of US
# and Canadian names that ISO does not have → two-letter code.
_OWN_STATE_SPELLINGS = {
    "Federated States of Micronesia": "fm",  # freely associated states: USPS codes, ISO countries
    "Marshall Islands": "mh",
    "Palau": "pw",
    "Armed Forces Americas": "aa",  # military mail "states" of the USPS
    "Armed Forces Europe": "ae",
    "Armed Forces Pacific": "ap",
    "Washington DC": "dc",  # how the District of Columbia is usually written
    "U.S. Virgin Islands": "vi",  # ISO inverts it: "Virgin Islands, U.S."
    "Virgin Islands": "vi",
    "Newfoundland": "nl",  # the province's name before Newfoundland and Labrador (2001)
}

# The countries whose subdivisions are states as Pinterest wants them: two-letter codes.
_STATE_COUNTRIES = ("US", "CA")
# Subdivision names are also read in the country's other official languages: Canada's French.
_STATE_TRANSLATIONS = {"CA": ("fr",)}
# The English names pycountry gives a country, each a msgid of its translations.
_COUNTRY_NAME_FIELDS = ("name", "official_name", "common_name")
# Translations are read for the names people write in an address, not the long official forms.
_TRANSLATED_NAME_FIELDS = ("name", "common_name")

# Gender words → Pinterest's codes: 'Either "f" or "m" or "n" for non-binary gender.'
_GENDERS = {
    "female": "f",
    "woman": "f",
    "f": "f",
    "male": "m",
    "man": "m",
    "m": "m",
    "non-binary": "n",
    "n": "n",
}


def fold(value: str) -> str:
    """The canonical key: case, accents, spaces and punctuation dropped, "&" read as "and"."""
    decomposed = unicodedata.normalize("NFKD", value.replace("&", " and ").casefold())
    return "".join(filter(str.isalnum, decomposed))


_GENDER_BY_KEY = {fold(word): code for word, code in _GENDERS.items()}


def state_code(value: str) -> str | None:
    """A US state/territory or Canadian province name as its lower-case two-letter code."""
    return _states().get(fold(value))


def country_code(value: str) -> str | None:
    """A country name (English or translated), alpha-3 or alpha-2 code as the lower-case alpha-2 code."""
    key = fold(value)
    if not key:  # nothing to look up: not worth reading the translations for
        return None
    return _countries().get(key) or _translated_countries().get(key)


def currency_code(value: str) -> str | None:
    """An ISO 4217 code in any case as its upper-case form; anything else is not a currency."""
    code = value.strip().upper()
    return code if code in _currencies() else None


def language_code(value: str) -> str | None:
    """An ISO 639-1 code in any case as its lower-case form; anything else is not a language."""
    code = value.strip().lower()
    return code if code in _languages() else None


def gender_code(value: str) -> str | None:
    """A gender word as Pinterest's f, m or n."""
    return _GENDER_BY_KEY.get(fold(value))


def _read_once(build: Callable[[], T]) -> Callable[[], T]:
    """`build` run once and its table kept, as functools.cache does, but first callers that come
    together wait for that one run instead of each starting their own: a run holds a whole ISO
    database (some MB) while it reads it, and the request threads of a worker that has just started
    would otherwise all read it at once, raising its memory for good."""
    lock = threading.Lock()
    built = functools.cache(build)

    @functools.cache  # once built, a lookup takes no lock
    @functools.wraps(build)
    def table() -> T:
        with lock:
            return built()

    return table


@_read_once
def _countries() -> dict[str, str]:
    """Folded codes, English names and our own spellings → alpha-2: what most events carry."""
    found = {fold(spelling): code for spelling, code in _OWN_COUNTRY_SPELLINGS.items()}
    for country in _records("3166-1"):
        code = country["alpha_2"].lower()
        found.update({fold(name): code for name in _names(country, _COUNTRY_NAME_FIELDS)})
        found.update({fold(country["alpha_3"]): code, code: code})
    return found


@_read_once
def _translated_countries() -> dict[str, str]:
    """Folded names in every language pycountry translates ISO 3166-1 into → alpha-2.

    Read only when a value is none of the codes and English names, as it costs the most by far.
    A name that two languages give to different countries is left out: it decides nothing.
    """
    english = [(country["alpha_2"].lower(), list(_names(country, _TRANSLATED_NAME_FIELDS)))
               for country in _records("3166-1")]
    found: dict[str, str] = {}
    ambiguous: set[str] = set()
    for catalog in _catalogs("iso3166-1", sorted(p.name for p in (_data_dir() / "locales").iterdir())):
        for code, names in english:
            for name in names:
                translated = catalog.gettext(name)
                if translated != name:  # untranslated: the English name, already in _countries
                    key = fold(translated)
                    if found.setdefault(key, code) != code:
                        ambiguous.add(key)
    return {key: code for key, code in found.items() if key not in ambiguous}


@_read_once
def _states() -> dict[str, str]:
    """Folded US and Canadian subdivision names (English, and French for Canada) → two-letter code."""
    found = {fold(spelling): code for spelling, code in _OWN_STATE_SPELLINGS.items()}
    for country in _STATE_COUNTRIES:
        catalogs = list(_catalogs("iso3166-2", _STATE_TRANSLATIONS.get(country, ())))
        for subdivision in _records("3166-2"):
            if subdivision["code"].startswith(f"{country}-"):
                code = subdivision["code"].removeprefix(f"{country}-").lower()
                names = [subdivision["name"], *(catalog.gettext(subdivision["name"]) for catalog in catalogs)]
                found.update({fold(name): code for name in names})
    return found


@_read_once
def _currencies() -> frozenset[str]:
    """ISO 4217 alphabetic codes."""
    return frozenset(currency["alpha_3"] for currency in _records("4217"))


@_read_once
def _languages() -> frozenset[str]:
    """ISO 639-1 (two-letter) codes: those of the ISO 639-3 languages that have one."""
    return frozenset(language["alpha_2"] for language in _records("639-3") if "alpha_2" in language)


@functools.cache
def _data_dir() -> Path:
    """pycountry's data: its ISO databases and their translations, found without importing its code.

    Its objects would keep every record of a database (some 10 MiB for ISO 639-3 alone) and its
    import alone takes some 40 ms; read directly, only the codes and names used here stay.
    """
    spec = importlib.util.find_spec("pycountry")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pycountry is not installed (requirements.txt)")
    return Path(spec.origin).parent


def _records(standard: str) -> list[dict[str, str]]:
    """The records of one ISO standard as pycountry keeps them (databases/iso<standard>.json)."""
    with (_data_dir() / "databases" / f"iso{standard}.json").open(encoding="utf-8") as file:
        records: list[dict[str, str]] = json.load(file)[standard]
    return records


def _names(record: dict[str, str], fields: tuple[str, ...]) -> Iterator[str]:
    """The English names a record has among `fields`."""
    return (record[field] for field in fields if record.get(field))


def _catalogs(domain: str, locales: Iterable[str]) -> Iterator[gettext.GNUTranslations]:
    """The translation catalog of `domain` for each locale that has one, read once and not kept.

    Read from the file rather than with gettext.translation, which would keep every catalog.
    """
    for locale in locales:
        path = _data_dir() / "locales" / locale / "LC_MESSAGES" / f"{domain}.mo"
        if path.is_file():
            with path.open("rb") as catalog:
                yield gettext.GNUTranslations(catalog)
