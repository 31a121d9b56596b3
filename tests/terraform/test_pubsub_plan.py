"""The pubsub shape of the module, from the plan: every grant, the scheduler's OIDC audience, the settings.

terraform test cannot compare values known only after apply (the drain's URL); the plan's
configuration names what each of them is made of, and these tests read that.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from function.settings import Settings
from tests.terraform.workspace import REQUIRED, Terraform

RUNTIME = "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
AGENT = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
SCHEDULER = "serviceAccount:pinterest-capi-sched@my-proj.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def pubsub_plan(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> dict:
    inputs: Path = tmp_path_factory.mktemp("pubsub") / "pubsub.tfvars.json"
    inputs.write_text(json.dumps({"delivery": {"mode": "pubsub"},
                                  "pubsub": {"project_number": "123456789012", "retry_window_s": 7200,
                                             "max_delivery_attempts": 20}}))
    return terraform.plan_json(terraform.ready("terraform"), *REQUIRED, f"-var-file={inputs}")


def _after(plan: dict, address: str) -> dict:
    [change] = [rc for rc in plan["resource_changes"] if rc["address"] == address]
    after: dict = change["change"]["after"]
    return after


def test_pubsub_grants_are_the_runtime_pair_the_agent_pair_and_the_scheduler_invoker(
        pubsub_plan: dict) -> None:
    grants = set()
    for rc in pubsub_plan["resource_changes"]:
        pubsub_grant = "pubsub" in rc["type"] and rc["type"].endswith("_iam_member")
        drain_invoker = rc["address"] == 'google_cloud_run_v2_service_iam_member.scheduled_invoker["drain"]'
        if pubsub_grant or drain_invoker:
            after = rc["change"]["after"]
            target = after.get("topic") or after.get("subscription") or after.get("name")
            grants.add((rc["type"], after["role"], after["member"], target))
    topic, subscription = "google_pubsub_topic_iam_member", "google_pubsub_subscription_iam_member"
    assert grants == {
        (topic, "roles/pubsub.publisher", RUNTIME, "pinterest-capi-events"),
        (subscription, "roles/pubsub.subscriber", RUNTIME, "pinterest-capi-events"),
        (topic, "roles/pubsub.publisher", AGENT, "pinterest-capi-events-dead-letter"),
        (subscription, "roles/pubsub.subscriber", AGENT, "pinterest-capi-events"),
        ("google_cloud_run_v2_service_iam_member", "roles/run.invoker", SCHEDULER, "pinterest-capi-drain"),
    }
    invokers = [_after(pubsub_plan, rc["address"])["member"] for rc in pubsub_plan["resource_changes"]
                if rc["type"] == "google_cloud_run_v2_service_iam_member"
                and _after(pubsub_plan, rc["address"])["name"] == "pinterest-capi-drain"]
    assert invokers == [SCHEDULER], "the drain is private: no allUsers, no one but the scheduler"


def test_the_scheduler_signs_its_calls_for_the_drain_url(pubsub_plan: dict) -> None:
    [job] = [r for r in pubsub_plan["configuration"]["root_module"]["resources"]
             if r["address"] == "google_cloud_scheduler_job.scheduled"]
    target = job["expressions"]["http_target"][0]
    # The job calls (and signs for) the function it names; the drain's job names the drain, no query.
    for reference in ("google_cloudfunctions2_function.scheduled", "each.value.function"):
        assert reference in target["uri"]["references"]
        assert reference in target["oidc_token"][0]["audience"]["references"]
    assert "local.scheduler_email" in target["oidc_token"][0]["service_account_email"]["references"]
    planned = _after(pubsub_plan, 'google_cloud_scheduler_job.scheduled["drain"]')
    assert planned["name"] == "pinterest-capi-drain"
    assert planned["http_target"][0]["oidc_token"][0]["service_account_email"] == SCHEDULER.split(":")[1]
    function = _after(pubsub_plan, 'google_cloudfunctions2_function.scheduled["drain"]')
    assert (function["name"], function["build_config"][0]["entry_point"]) == (
        "pinterest-capi-drain", "pinterest_capi_drain")


def test_gateway_and_drain_read_the_queue_they_were_given(pubsub_plan: dict) -> None:
    for address in ("google_cloudfunctions2_function.main[0]",
                    'google_cloudfunctions2_function.scheduled["drain"]'):
        env = _after(pubsub_plan, address)["service_config"][0]["environment_variables"]
        # The ids are known after apply only; the function reads them as terraform spells them.
        subscriptions = "projects/my-proj/subscriptions/pinterest-capi-events"
        env = {**env, "PUBSUB_TOPIC": "projects/my-proj/topics/pinterest-capi-events",
               "PUBSUB_SUBSCRIPTION": subscriptions,
               "PUBSUB_DEAD_LETTER_SUBSCRIPTION": subscriptions + "-dead-letter"}
        settings = Settings.from_env(env)
        assert (settings.delivery, settings.pubsub_retry_window_s, settings.pubsub_drain_budget_s) == \
            ("pubsub", 7200.0, 45.0)
        assert settings.pubsub_stream is False
        # The drain fails an event at the delivery after which Pub/Sub would dead-letter it.
        subscription = _after(pubsub_plan, "google_pubsub_subscription.events[0]")
        assert settings.pubsub_max_delivery_attempts == \
            subscription["dead_letter_policy"][0]["max_delivery_attempts"] == 20
    topic = _after(pubsub_plan, "google_pubsub_topic.events[0]")
    assert (topic["project"], topic["name"]) == ("my-proj", "pinterest-capi-events")
