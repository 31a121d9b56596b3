"""The arrows of ARCHITECTURE.md, checked by importing each wing in a fresh interpreter.

The data path loads nothing of ours but errors, limits and outcomes (the shared vocabularies), no
SQLite or Google client, and reads no file; settings stands on no adapter either (the spelling of
secret names and caller keys lives in identifiers.py); delivery, credentials and logs never load
settings, app or web (they take plain values).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Modules are those the import added (site's .pth files pre-create the `google` namespace); files
# opened are recorded from the audit hook, but for the modules' own sources and caches.
PROBE = """
import json, sys
before = set(sys.modules)
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps({"modules": sorted(set(sys.modules) - before), "opened": opened}))
"""


def modules(wing: str) -> list[str]:
    return sorted(f"function.{wing}.{path.stem}" for path in (ROOT / "function" / wing).glob("*.py")
                  if path.stem != "__init__")


def imported(names: list[str]) -> dict[str, list[str]]:
    """What importing `names` in a fresh interpreter loads and opens."""
    found = subprocess.run([sys.executable, "-c", PROBE, *names], cwd=ROOT, capture_output=True, text=True,
                           check=True)
    return json.loads(found.stdout)


def test_importing_the_pipeline_loads_nothing_but_the_pipeline_errors_limits_and_outcomes() -> None:
    loaded = imported(modules("pipeline"))
    ours = [name for name in loaded["modules"] if name == "function" or name.startswith("function.")]
    assert [name for name in ours if not name.startswith("function.pipeline")] == \
        ["function", "function.errors", "function.limits", "function.outcomes"]
    assert not [name for name in loaded["modules"] if name in ("sqlite3", "requests", "flask")
                or name.startswith(("google", "_sqlite3"))]
    assert [path for path in loaded["opened"]
            if not path.endswith((".py", ".pyc")) and not Path(path).is_dir()] == []


def test_importing_settings_loads_no_adapter_no_sqlite_and_no_google_client() -> None:
    loaded = imported(["function.settings"])
    allowed = {"function", "function.settings", "function.identifiers", "function.errors", "function.limits",
               "function.outcomes"}
    ours = [name for name in loaded["modules"] if name == "function" or name.startswith("function.")]
    assert [name for name in ours if name not in allowed and not name.startswith("function.pipeline")] == []
    assert not [name for name in loaded["modules"] if name in ("sqlite3", "requests", "flask")
                or name.startswith(("google", "_sqlite3"))]
    assert [path for path in loaded["opened"]
            if not path.endswith((".py", ".pyc")) and not Path(path).is_dir()] == []


@pytest.mark.parametrize("wing", ["delivery", "credentials", "logs"])
def test_an_adapter_wing_never_loads_settings_app_or_web(wing: str) -> None:
    loaded = imported(modules(wing))["modules"]
    assert [name for name in loaded if name in ("function.settings", "function.app", "function.__main__")
            or name.startswith("function.web")] == []


@pytest.mark.parametrize("wing", ["credentials", "logs"])
def test_logs_and_credentials_never_load_delivery(wing: str) -> None:
    # Delivery records what it does through logs and asks credentials for the token: an arrow back
    # would be a cycle between wings (logs/writer.py once took its retry strategy from delivery).
    loaded = imported(modules(wing))["modules"]
    assert [name for name in loaded if name.startswith("function.delivery")] == []
