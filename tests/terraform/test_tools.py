"""The deployment files through the tools that can check them offline: terraform fmt, checkov,
the Cloud Build schema; and cloudbuild.yaml against the module it applies."""

from __future__ import annotations

import re
from pathlib import Path

from tests.processes import missing
from tests.terraform.deployment import (
    CLOUDBUILD,
    MODULE,
    ROOT,
    cloudbuild,
    module,
    run,
    terraform_binary,
    terraform_env,
    tool,
)
from tests.terraform.workspace import TFTEST


def _terraform() -> str:
    binary = terraform_binary()
    if binary is None:
        missing("no terraform binary on PATH: formatting and fileset are not checked here")
    return binary


def test_terraform_fmt(tmp_path: Path) -> None:
    for folder in (MODULE, TFTEST):
        done = run([_terraform(), "fmt", "-check", "-recursive", "-diff", folder],
                   env=terraform_env(tmp_path))
        assert done.returncode == 0, done.stdout + done.stderr


def test_checkov_passes_and_every_skip_says_why() -> None:
    done = run([tool("checkov"), "-d", MODULE, "--framework", "terraform", "--skip-download", "--quiet",
                "--compact"], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    skips = []
    for path in sorted(MODULE.rglob("*.tf")):
        resource = ""
        for line in path.read_text().splitlines():
            if line.startswith("resource "):
                resource = line
            if "checkov:skip" in line:
                match = re.search(r"#\s*checkov:skip=(CKV\w+):\s*(\S.{20,})", line)
                assert match, f"{path.name}: a skip without its reason: {line.strip()}"
                skips.append((match.group(1), resource))
    assert len(skips) == len(set(skips)), "a check skipped twice on one resource"


def test_cloudbuild_matches_its_schema() -> None:
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.cloudbuild", CLOUDBUILD])
    assert done.returncode == 0, done.stdout + done.stderr


def _steps() -> dict[str, dict]:
    return {step["id"]: step for step in cloudbuild()["steps"]}


def test_cloudbuild_tests_then_checks_formatting() -> None:
    steps = _steps()
    assert steps["test"]["args"] == ["-c", "make test"]
    assert steps["fmt"]["args"] == ["fmt", "-check", "-recursive", "terraform"]
    assert set(steps["init"]["waitFor"]) == {"test", "fmt"}
    assert list(steps).index("apply") == len(steps) - 1


def test_cloudbuild_builds_the_image_like_the_function() -> None:
    found = module().locals
    script = _steps()["image"]["args"][-1]
    env = dict(re.findall(r"--env (\w+)=(\S+)", script))
    assert env["GOOGLE_FUNCTION_TARGET"] == found["entry_point"]
    assert env["GOOGLE_FUNCTION_SIGNATURE_TYPE"] == "http"
    runtime = re.fullmatch(r"python3(\d+)", found["python_runtime"])
    assert runtime
    assert env["GOOGLE_PYTHON_VERSION"] == f"3.{runtime.group(1)}.x"
    assert "--path .build/source" in script


def test_cloudbuild_builds_from_the_archive_terraform_makes() -> None:
    found = module()
    archive = found.resource("archive_file", "source", kind="data")
    assert archive["output_path"] == "${path.root}/.terraform/tmp/${var.name}-source.zip"
    steps = _steps()
    assert "-target=data.archive_file.source" in steps["prepare"]["args"][-1]
    assert "-target=google_artifact_registry_repository.main" in steps["prepare"]["args"][-1]
    assert steps["prepare"]["dir"] == "terraform"
    assert 'python -m zipfile -e "terraform/.terraform/tmp/${_NAME}-source.zip" .build/source' in (
        steps["source"]["args"][-1]
    )
    assert found.resource("google_artifact_registry_repository", "main")["repository_id"] == "${var.name}"
    image = next(e for e in cloudbuild()["options"]["env"] if e.startswith("IMAGE="))
    assert image == "IMAGE=${_REGION}-docker.pkg.dev/$PROJECT_ID/${_NAME}/gateway:$BUILD_ID"


def test_cloudbuild_applies_with_a_gcs_backend_and_the_digest() -> None:
    steps = _steps()
    init = steps["init"]["args"][-1]
    assert 'backend "gcs"' in init
    assert '-backend-config="bucket=${_TF_STATE_BUCKET}"' in init
    assert '-backend-config="prefix=${_TF_STATE_PREFIX}"' in init
    assert "docker inspect --format '{{index .RepoDigests 0}}'" in steps["push"]["args"][-1]
    assert 'TF_VAR_image="$$(cat ../.build/image)"' in steps["apply"]["args"][-1]
    env = dict(e.split("=", 1) for e in cloudbuild()["options"]["env"])
    variables = module().variables()
    for name in ("project_id", "region", "name", "ad_account_id", "deploy_as"):
        assert f"TF_VAR_{name}" in env
        assert name in variables
    substitutions = cloudbuild()["substitutions"]
    assert substitutions["_REGION"] == variables["region"]["default"]
    assert substitutions["_NAME"] == variables["name"]["default"]
    assert substitutions["_DEPLOY_AS"] == variables["deploy_as"]["default"]


def test_cloudbuild_terraform_meets_the_module_requirement() -> None:
    [terraform] = module().files["versions.tf"]["terraform"]
    minimum = re.fullmatch(r">= (\d+)\.(\d+)", terraform["required_version"])
    assert minimum
    pinned = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", cloudbuild()["substitutions"]["_TF_VERSION"])
    assert pinned
    assert tuple(map(int, pinned.groups()[:2])) >= tuple(map(int, minimum.groups()))
