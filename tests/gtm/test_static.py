"""gtm/template.tpl read as sGTM reads it: its sections, its permissions against the APIs its code
requires, its fields against the code and against the gateway's own tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from function.pipeline import pixel
from function.pipeline.event_names import STANDARD_EVENT_NAMES
from function.pipeline.fields import FIELDS
from function.pipeline.options import ACTION_SOURCES, CONSENT_MODES, DELIVERY_MODES
from tests.gtm.conftest import TEMPLATE, node

APIS = json.loads((Path(__file__).resolve().parent / "apis.json").read_text(encoding="utf-8"))
# The sections sGTM writes for a server tag template, in its order.
SECTIONS = ["TERMS_OF_SERVICE", "INFO", "TEMPLATE_PARAMETERS", "SANDBOXED_JS_FOR_SERVER",
            "SERVER_PERMISSIONS", "TESTS", "NOTES"]
# Syntax sandboxed JavaScript does not run.
UNSUPPORTED = {"template literal": r"`", "class": r"\bclass\b", "new": r"\bnew\b", "async": r"\basync\b",
               "await": r"\bawait\b", "spread": r"\.\.\.", "import": r"\bimport\b"}
# Data keys sGTM adds to every tag's data.
GTM_DATA = {"gtmOnSuccess", "gtmOnFailure"}


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^___([A-Z_]+)___$", text, flags=re.MULTILINE)
    assert parts[0] == "", "the file starts with a section marker"
    return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}


TEXT = TEMPLATE.read_text(encoding="utf-8")
PARTS = sections(TEXT)
CODE = PARTS["SANDBOXED_JS_FOR_SERVER"]
PARAMS: list[dict[str, Any]] = json.loads(PARTS["TEMPLATE_PARAMETERS"])
PERMISSIONS = {p["instance"]["key"]["publicId"]: p for p in json.loads(PARTS["SERVER_PERMISSIONS"])}


def all_params(params: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for param in params:
        yield param
        yield from all_params(param.get("subParams", []))
        for item in param.get("radioItems", []):
            yield from all_params(item.get("subParams", []))


def param(name: str) -> dict[str, Any]:
    [found] = [p for p in all_params(PARAMS) if p["name"] == name]
    return found


def values(name: str) -> list[str]:
    found = param(name)
    return [item["value"] for item in found.get("selectItems", found.get("radioItems", []))]


def permission_params(public_id: str) -> dict[str, Any]:
    def plain(value: dict[str, Any]) -> Any:
        kind = value["type"]
        if kind == 1:
            return value["string"]
        if kind == 2:
            return [plain(item) for item in value.get("listItem", [])]
        if kind == 3:
            return {plain(k): plain(v) for k, v in zip(value["mapKey"], value["mapValue"], strict=True)}
        raise AssertionError(f"unexpected permission value type {kind}")
    return {p["key"]: plain(p["value"]) for p in PERMISSIONS[public_id]["instance"]["param"]}


def test_the_file_has_the_sections_of_a_server_tag_template_in_order() -> None:
    assert list(PARTS) == SECTIONS
    info = json.loads(PARTS["INFO"])
    assert info["type"] == "TAG"
    assert info["containerContexts"] == ["SERVER"]
    assert info["id"] == "cvt_temp_public_id"
    assert PARTS["TESTS"].startswith("scenarios:\n- name: ")
    assert TEXT.endswith("\n\n\n")
    for entry in PERMISSIONS.values():
        assert entry["instance"]["key"]["versionId"] == "1"
        assert entry["isRequired"] is True


def test_every_required_api_has_its_permission_and_no_permission_is_unused() -> None:
    required = re.findall(r"require\('([A-Za-z]+)'\)", CODE)
    assert len(required) == len(set(required)), "each API is required once"
    unknown = set(required) - set(APIS["apis"])
    assert unknown == set(), f"no stand-in (nor permission entry) for {unknown}"
    needed = {APIS["apis"][name] for name in required} - {None}
    assert set(PERMISSIONS) == needed
    for name in required:  # and each is used beyond its require
        assert len(re.findall(rf"\b{name}\b", CODE)) > 1, f"{name} is required but not used"


def test_the_permissions_allow_only_what_the_code_does() -> None:
    assert permission_params("read_event_data") == {"eventDataAccess": "any"}  # getAllEventData needs any
    assert permission_params("get_cookies") == {"cookieAccess": "specific", "cookieNames": ["_epik"]}
    [cookie] = permission_params("set_cookies")["allowedCookies"]
    assert cookie["name"] == "_epik"
    assert cookie["path"] == "/"
    assert "CLICK_ID_COOKIE = '_epik'" in CODE
    assert permission_params("send_pixel_from_browser") == {"allowedUrls": "specific",
                                                            "urls": [pixel.PIXEL_URL + "*"]}
    assert f"PIXEL_PREFIX = '{pixel.PIXEL_URL}'" in CODE
    http = permission_params("send_http")
    assert http["allowedUrls"] == "specific"
    assert all(url.startswith("https://") for url in http["urls"])
    assert permission_params("logging") == {"environments": "all"}  # the "Always log" choice needs all


def test_the_code_reads_every_field_and_no_other() -> None:
    used = set(re.findall(r"\bdata\.([A-Za-z]+)", CODE)) - GTM_DATA
    declared = {p["name"] for p in all_params(PARAMS) if p["type"] not in ("GROUP", "LABEL")}
    assert used == declared


def test_the_form_offers_the_gateway_s_own_names() -> None:
    for table, section in (("serverEventDataList", "event"), ("userDataList", "user_data"),
                           ("customDataList", "custom_data")):
        [name_column, _] = param(table)["simpleTableColumns"]
        assert [item["value"] for item in name_column["selectItems"]] == [
            row.key for row in FIELDS if row.section == section]
    assert set(values("standardEventName")) == STANDARD_EVENT_NAMES
    assert tuple(values("actionSource")) == ACTION_SOURCES
    assert tuple(values("consent")) == CONSENT_MODES
    assert set(values("eventNameSetup")) == {"inherit", "standard", "custom"}
    assert set(values("delivery")) - {"", "pubsub"} <= set(DELIVERY_MODES)
    assert set(values("logType")) == {"no", "debug", "always"}


@pytest.mark.parametrize(("name", "good", "bad"), [
    ("gatewayUrl", ["https://pinterest-capi-abc-ew.a.run.app/", "http://127.0.0.1:8080/"],
     ["http://gateway.example.com/", "ftp://x", "https://"]),
    ("adAccountId", ["", "549000000042", "{{Ad account}}"], ["549-0", "1234567890123456789"]),
    ("pixelTagId", ["2612345678901", "{{Tag id}}"], ["26x", ""]),
    ("customEventName", ["quiz_done", "{{Event}}"], ["quiz done", "x" * 101]),
    ("callerKey", ["{{Pinterest CAPI key}}", "k" * 16], ["short", "with space in it 0123"]),
])
def test_the_form_validates_urls_and_digits(name: str, good: list[str], bad: list[str]) -> None:
    patterns = [v["args"][0] for v in param(name).get("valueValidators", []) if v["type"] == "REGEX"]
    non_empty = any(v["type"] == "NON_EMPTY" for v in param(name).get("valueValidators", []))

    def accepts(value: str) -> bool:
        return (bool(value) or not non_empty) and all(re.fullmatch(p, value) for p in patterns)

    assert [value for value in good if not accepts(value)] == []
    assert [value for value in bad if accepts(value)] == []


def test_the_code_uses_only_syntax_sandboxed_javascript_runs() -> None:
    found = {name for name, pattern in UNSUPPORTED.items() if re.search(pattern, CODE)}
    assert found == set()


def test_the_template_s_own_scenarios_pass_offline() -> None:
    results = json.loads(node("tests", str(TEMPLATE)))
    assert [r["name"] for r in results] == re.findall(r"^- name: (.*)$", PARTS["TESTS"], flags=re.MULTILINE)
    assert [r for r in results if not r["passed"]] == []


def test_the_scenarios_catch_a_broken_tag(tmp_path: Path) -> None:
    """The ___TESTS___ scenarios and the harness's test API are not vacuous: each breakage fails one."""
    breakages = {
        "no failure on a bad status": ("data.gtmOnFailure();", "data.gtmOnSuccess();"),
        "the cookie as SameSite=None": ("samesite: 'Lax'", "samesite: 'None'"),
        "the key logged": ("Settings: namesOnly(settings)", "Settings: settings, Key: data.callerKey"),
    }
    for what, (old, new) in breakages.items():
        assert old in TEXT
        broken = tmp_path / "broken.tpl"
        broken.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
        results = json.loads(node("tests", str(broken)))
        assert any(not r["passed"] for r in results), what
