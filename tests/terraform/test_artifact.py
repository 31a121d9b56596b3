"""The deployed artefact: the archive terraform uploads, and that it runs on its own requirements."""

from __future__ import annotations

import ast
import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.terraform.deployment import ROOT, module, python_for, run, source_files

# A deployment's minimum: the account, and no caller check or log file (nothing to reach here).
MINIMAL_ENV = {
    "PINTEREST_AD_ACCOUNT_ID": "549123456789",
    "GATEWAY_AUTH": "none",
    "LOG_SQLITE_PATH": "none",
    "LOG_CONSOLE": "no",
}

PROBE = """
import json, sys
source = sys.argv[1]
sys.path.insert(0, source)
import main
from functions_framework import create_app

app = create_app(target="pinterest_capi", source=source + "/main.py")
answer = app.test_client().post("/", data="{not json", content_type="application/json")
try:
    import function.sandbox
    sandbox = True
except ImportError:
    sandbox = False
print(json.dumps({
    "callable": callable(main.pinterest_capi),
    "status": answer.status_code,
    "sandbox": sandbox,
    "foreign": sorted(m for m in sys.modules if m.split(".")[0] in ("tests", "tools")),
    "outside": sorted({m.__file__ for m in list(sys.modules.values())
                       if getattr(m, "__file__", None) and m.__file__.startswith(sys.argv[2])
                       and not m.__file__.startswith(source)}),
}))
"""


def build_archive(destination: Path) -> Path:
    """The zip terraform builds: the same files, by the same relative names."""
    archive = destination / "source.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in source_files():
            zipped.write(ROOT / name, name)
    return archive


def test_archive_holds_exactly_the_runtime_files() -> None:
    files = source_files()
    assert {"main.py", "requirements.txt", "function/__init__.py", "function/settings.py",
            "function/log_schema.json"} <= set(files)
    assert all(f in ("main.py", "requirements.txt") or f.startswith("function/") for f in files)
    for name in files:
        assert not name.startswith("function/sandbox/"), name
        assert "__pycache__" not in name, name


def test_archive_files_are_text_terraform_can_read() -> None:
    """terraform's file() reads UTF-8 text only; a binary runtime file needs a different archive."""
    for name in source_files():
        (ROOT / name).read_bytes().decode("utf-8")


def test_runtime_code_never_imports_what_is_left_out() -> None:
    for name in source_files():
        if name.endswith(".py"):
            tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    imported = [node.module or ""]
                elif isinstance(node, ast.Import):
                    imported = [alias.name for alias in node.names]
                else:
                    continue
                for target in imported:
                    assert not target.startswith(("function.sandbox", "tests", "tools")), f"{name}: {target}"


@pytest.mark.slow
def test_archive_runs_in_a_clean_venv_with_only_its_requirements(tmp_path: Path) -> None:
    runtime = module().locals["python_runtime"]
    python = python_for(runtime)
    if python is None:
        pytest.skip(f"no interpreter for {runtime} on this machine")
    source = tmp_path / "source"
    with zipfile.ZipFile(build_archive(tmp_path)) as zipped:
        zipped.extractall(source)
    venv = tmp_path / "venv"
    done = run([python, "-m", "venv", venv])
    assert done.returncode == 0, done.stderr
    # pip may use its local cache and wheel directories; nothing else of this machine's Python is seen.
    done = run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
                "--disable-pip-version-check", "-r", source / "requirements.txt"])
    assert done.returncode == 0, done.stdout + done.stderr
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **MINIMAL_ENV}
    done = run([venv / "bin" / "python", "-I", "-c", PROBE, source, str(ROOT)], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["callable"] is True
    assert 400 <= report["status"] < 500, report
    assert report["sandbox"] is False
    assert report["foreign"] == []
    assert report["outside"] == [], "modules loaded from the checkout instead of the archive"
