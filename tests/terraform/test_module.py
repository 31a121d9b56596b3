"""The module's text, read with python-hcl2, for what terraform itself does not judge.

No secret value in any file, every variable and output described, the README tables, the
version ranges. What the module deploys is checked on terraform's own plan (test_terraform.py).
"""

from __future__ import annotations

import json
import re

from function.settings import Settings
from tests.terraform import docs
from tests.terraform.deployment import MODULE, ROOT, module


def _tf_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(MODULE.rglob("*.tf")))


def test_no_secret_value_anywhere() -> None:
    text = _tf_text() + (ROOT / "cloudbuild.yaml").read_text()
    assert "google_secret_manager_secret_version" not in text
    assert "secret_data" not in text
    assert not re.search(r"pina_[A-Za-z0-9]", text), "a Pinterest token in the deployment files"
    assert "PRIVATE KEY" not in text
    for name, body in module().variables(examples=True).items():
        if re.search(r"token|key|password|secret|credential", name):
            assert body["type"] in ("bool", "${list(string)}") or name.endswith("_ids"), (
                f"variable {name} could carry a secret value: secrets are added out of band"
            )
        assert body.get("sensitive") is not True, f"variable {name} is sensitive: secrets stay out of it"
    for name, body in module().outputs(examples=True).items():
        assert body.get("sensitive") is not True, name
        assert "local.env" not in json.dumps(body), name
        assert "local.settings" not in json.dumps(body), name


def _choices(variable: str) -> dict[str, list[str]]:
    """The allowed values each `contains([...], ...)` validation of a variable names, by attribute."""
    found: dict[str, list[str]] = {}
    for validation in module().variables()[variable].get("validation", []):
        match = re.search(r"contains\(\[([^\]]*)\], (?:coalesce\()?(var\.[\w.]+)", validation["condition"])
        if match:
            found[match.group(2)] = re.findall(r'"([^"]*)"', match.group(1))
    return found


def test_validated_choices_are_values_the_function_accepts() -> None:
    """Every value a variable's validation allows reaches the function as a setting it parses."""
    settings = module().locals["settings"]
    checked = 0
    for variable in module().variables():
        for path, values in _choices(variable).items():
            envs = [env for env, expression in settings.items() if expression == "${" + path + "}"]
            for env in envs:
                for value in values:
                    # "lead" is a valid event name for every event-name setup.
                    # pubsub delivery needs its topic.
                    base = {"PINTEREST_AD_ACCOUNT_ID": "549123456789", "PINTEREST_EVENT_NAME": "lead",
                            "PUBSUB_TOPIC": "projects/my-proj/topics/pinterest-capi-events"}
                    Settings.from_env({**base, env: value})
                    checked += 1
    assert checked >= 10


def test_every_variable_has_a_type_and_a_description() -> None:
    for name, body in module().variables(examples=True).items():
        assert body.get("type"), f"variable {name} has no type"
        assert body.get("description", "").strip(), f"variable {name} has no description"
        for validation in body.get("validation", []):
            assert validation.get("error_message", "").strip(), f"variable {name}: validation without message"
    for name, body in module().outputs(examples=True).items():
        assert body.get("description", "").strip(), f"output {name} has no description"


def test_required_variables_are_only_project_and_ad_account() -> None:
    required = {name for name, body in module().variables().items() if "default" not in body}
    assert required == {"project_id", "ad_account_id"}


def test_versions_are_pinned_by_range() -> None:
    [terraform] = module().files["versions.tf"]["terraform"]
    assert terraform["required_version"] == ">= 1.5"
    [providers] = terraform["required_providers"]
    assert providers["google"]["source"] == "hashicorp/google"
    assert re.fullmatch(r">= [5-9]\.\d+, < \d+\.0", providers["google"]["version"])
    assert re.fullmatch(r">= \d+\.\d+, < \d+\.0", providers["archive"]["version"])


def test_examples_call_the_module_from_two_folders_up() -> None:
    for path, body in module().files.items():
        if path.startswith("examples/"):
            for block in body.get("module", []):
                for name, call in block.items():
                    assert call["source"] == "../..", f"{path}: module {name}"


def test_readme_tables_match_the_module() -> None:
    assert docs.current() == docs.render(module()), "run: .venv/bin/python -m tests.terraform.docs"
