"""The probe and the backlog alert, from the plan: the private probe function in both shapes, one
scheduler job per ad account signed for the function's URL, the scheduler's account its only invoker,
the probe alert on its metric, and the backlog alert only where pubsub delivery exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.workspace import DIGEST, REQUIRED, Terraform

pytestmark = pytest.mark.slow

SCHEDULER = "pinterest-capi-sched@my-proj.iam.gserviceaccount.com"
ACCOUNTS = ("549123456789", "549000000002")
CHANNEL = "projects/my-proj/notificationChannels/1"
PROBE = 'google_cloudfunctions2_function.scheduled["probe"]'


def _plan(terraform: Terraform, folder: Path, inputs: dict[str, Any]) -> dict:
    path = folder / "inputs.tfvars.json"
    path.write_text(json.dumps({"ad_account_ids": [ACCOUNTS[1]], "probe": {},
                                "probe_alert": {"notification_channels": [CHANNEL]},
                                "backlog_alert": {"notification_channels": [CHANNEL]}, **inputs}))
    return terraform.plan_json(terraform.ready("terraform"), *REQUIRED, f"-var-file={path}")


@pytest.fixture(scope="module")
def function_plan(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The function shape with optimistic delivery: a probe, and no queue for a backlog alert."""
    return _plan(terraform, tmp_path_factory.mktemp("probe-function"), {"delivery": {"mode": "optimistic"}})


@pytest.fixture(scope="module")
def service_plan(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The service shape with pubsub delivery: a streaming service, the probe beside it, the backlog alert."""
    return _plan(terraform, tmp_path_factory.mktemp("probe-service"), {
        "deploy_as": "service", "image": DIGEST, "delivery": {"mode": "pubsub"},
        "compute": {"min_instances": 1},
        "pubsub": {"project_number": "123456789012"}, "probe": {"every_minutes": 60}})


def _created(plan: dict) -> dict[str, dict]:
    return {rc["address"]: rc["change"]["after"] for rc in plan["resource_changes"]
            if rc["change"]["actions"] == ["create"]}


def _config(plan: dict, address: str) -> dict:
    [found] = [r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address]
    expressions: dict = found["expressions"]
    return expressions


def _main_env(created: dict[str, dict]) -> dict[str, str]:
    if "google_cloudfunctions2_function.main[0]" in created:
        env: dict[str, str] = created["google_cloudfunctions2_function.main[0]"]["service_config"][0][
            "environment_variables"]
        return env
    [container] = created["google_cloud_run_v2_service.main[0]"]["template"][0]["containers"]
    # The queue's ids are known after apply only: those entries have no planned value.
    return {entry["name"]: entry["value"] for entry in container["env"] if "value" in entry}


@pytest.mark.parametrize("shape", ["function_plan", "service_plan"])
def test_the_probe_is_a_private_function_of_the_gateways_code_and_settings(
        shape: str, request: pytest.FixtureRequest) -> None:
    created = _created(request.getfixturevalue(shape))
    probe = created[PROBE]
    assert (probe["name"], probe["build_config"][0]["entry_point"]) == ("pinterest-capi-probe",
                                                                        "pinterest_capi_probe")
    config = probe["service_config"][0]
    assert (config["ingress_settings"], config["max_instance_count"]) == ("ALLOW_INTERNAL_ONLY", 1)
    main = _main_env(created)
    assert {name: value for name, value in config["environment_variables"].items() if name in main} == main
    assert main["PINTEREST_AD_ACCOUNT_IDS"] == ACCOUNTS[1]
    assert config["service_account_email"] == "pinterest-capi@my-proj.iam.gserviceaccount.com"
    # Built from the module's archive in both shapes: the service shape gets the bucket for it.
    assert "google_storage_bucket_object.source[0]" in created
    invokers = [(after["member"], after["role"]) for after in created.values()
                if after.get("role") == "roles/run.invoker" and after.get("name") == "pinterest-capi-probe"]
    assert invokers == [(f"serviceAccount:{SCHEDULER}", "roles/run.invoker")], "no allUsers, no one else"


def test_one_job_per_ad_account_signed_for_the_probes_url(function_plan: dict) -> None:
    created = _created(function_plan)
    jobs = {address: after for address, after in created.items()
            if address.startswith("google_cloud_scheduler_job.")}
    assert sorted(jobs) == sorted(f'google_cloud_scheduler_job.scheduled["probe-{id}"]' for id in ACCOUNTS)
    for account in ACCOUNTS:
        job = jobs[f'google_cloud_scheduler_job.scheduled["probe-{account}"]']
        assert (job["name"], job["schedule"], job["http_target"][0]["http_method"]) == (
            f"pinterest-capi-probe-{account}", "*/10 * * * *", "POST")
        assert job["http_target"][0]["oidc_token"][0]["service_account_email"] == SCHEDULER
        assert job["retry_config"][0]["retry_count"] == 0
    target = _config(function_plan, "google_cloud_scheduler_job.scheduled")["http_target"][0]
    # The URI adds the account's query; the audience is the function's URL alone, which Cloud Run checks.
    assert "each.value.query" in target["uri"]["references"]
    audience = target["oidc_token"][0]["audience"]["references"]
    assert "google_cloudfunctions2_function.scheduled" in audience
    assert "each.value.query" not in audience
    assert "google_cloudfunctions2_function.scheduled[\"drain\"]" not in created


def test_the_probe_alert_counts_the_probes_metric_and_says_what_to_look_at(function_plan: dict) -> None:
    created = _created(function_plan)
    metric = created["google_logging_metric.probe_failures[0]"]
    assert 'resource.labels.service_name="pinterest-capi-probe"' in metric["filter"]
    policy = created["google_monitoring_alert_policy.probe_failed[0]"]
    assert policy["notification_channels"] == [CHANNEL]
    [condition] = policy["conditions"]
    threshold = condition["condition_threshold"][0]
    assert f'metric.type="logging.googleapis.com/user/{metric["name"]}"' in threshold["filter"]
    assert (threshold["comparison"], threshold["threshold_value"]) == ("COMPARISON_GT", 0)
    assert threshold["aggregations"][0]["group_by_fields"] == ["metric.label.ad_account_id"]
    content = policy["documentation"][0]["content"]
    assert "python -m function logs --since 1h --outcome probe" in content
    assert "python -m function probe" in content
    assert "google_monitoring_alert_policy.backlog_age[0]" not in created, "no queue, no backlog alert"


def test_the_backlog_alert_watches_the_subscriptions_oldest_unacked_event(service_plan: dict) -> None:
    created = _created(service_plan)
    policy = created["google_monitoring_alert_policy.backlog_age[0]"]
    threshold = policy["conditions"][0]["condition_threshold"][0]
    assert threshold["filter"] == (
        'resource.type="pubsub_subscription" AND resource.labels.subscription_id="pinterest-capi-events" '
        'AND metric.type="pubsub.googleapis.com/subscription/oldest_unacked_message_age"')
    assert (threshold["comparison"], threshold["threshold_value"]) == ("COMPARISON_GT", 1800)
    content = policy["documentation"][0]["content"]
    assert "gcloud pubsub subscriptions describe" in content
    assert "pinterest-capi-drain" in content
    # The service streams: no drain function, but the probe and its hourly jobs.
    assert 'google_cloudfunctions2_function.scheduled["drain"]' not in created
    assert {after["schedule"] for address, after in created.items()
            if address.startswith("google_cloud_scheduler_job.")} == {"0 * * * *"}
