# The default shape, planned by terraform against the provider stand-in: a 2nd gen function.
# Run by tests/terraform/test_terraform.py from a copy of the module (as terraform/tests/).

variables {
  project_id    = "my-proj"
  ad_account_id = "549123456789"
}

run "function_runs_the_entry_point_on_python_311" {
  command = plan

  assert {
    condition     = google_cloudfunctions2_function.main[0].build_config[0].runtime == "python311"
    error_message = "the function must run on python311, the Python the code targets"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].build_config[0].entry_point == "pinterest_capi"
    error_message = "the entry point must be main.py's pinterest_capi"
  }
  assert {
    condition     = length(google_cloud_run_v2_service.main) == 0 && length(google_artifact_registry_repository.main) == 0
    error_message = "the function shape creates no Cloud Run service and no image repository"
  }
}

run "function_builds_from_the_uploaded_archive" {
  command = plan

  assert {
    condition     = google_storage_bucket_object.source[0].name == "source.zip" && google_storage_bucket_object.source[0].source_md5hash == data.archive_file.source.output_md5
    error_message = "the archive is uploaded as one object, replaced when its content changes"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].build_config[0].source[0].storage_source[0].object == "source.zip" && google_cloudfunctions2_function.main[0].build_config[0].source[0].storage_source[0].bucket == "my-proj-pinterest-capi-source"
    error_message = "the function builds from the uploaded archive"
  }
  assert {
    condition     = anytrue([for rule in google_storage_bucket.source[0].lifecycle_rule : one(rule.condition).num_newer_versions == 4 && one(rule.condition).with_state == "ARCHIVED"])
    error_message = "the bucket keeps the live archive and 3 earlier generations"
  }
}

run "function_runs_as_its_own_account_with_the_least_roles" {
  command = plan

  assert {
    condition     = google_cloudfunctions2_function.main[0].service_config[0].service_account_email == "pinterest-capi@my-proj.iam.gserviceaccount.com"
    error_message = "the function runs as the module's runtime account"
  }
  assert {
    condition = (
      google_secret_manager_secret_iam_member.token["default"].role == "roles/secretmanager.secretAccessor"
      && google_secret_manager_secret_iam_member.token["default"].secret_id == "pinterest-capi-token"
      && google_secret_manager_secret_iam_member.token["default"].member == "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
    )
    error_message = "the runtime account reads the token secret, and only that secret"
  }
  assert {
    condition = (
      google_secret_manager_secret_iam_member.caller_keys[0].role == "roles/secretmanager.secretAccessor"
      && google_secret_manager_secret_iam_member.caller_keys[0].secret_id == "pinterest-capi-caller-keys"
      && google_secret_manager_secret_iam_member.caller_keys[0].member == "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
    )
    error_message = "the runtime account reads the caller-keys secret"
  }
  assert {
    condition = (
      google_bigquery_table_iam_member.log_writer.role == "roles/bigquery.dataEditor"
      && google_bigquery_table_iam_member.log_writer.dataset_id == "pinterest_capi"
      && google_bigquery_table_iam_member.log_writer.table_id == "events"
      && google_bigquery_table_iam_member.log_writer.member == "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
    )
    error_message = "the runtime account writes the log table, granted on the table alone"
  }
  assert {
    condition     = google_project_iam_member.log_writer.role == "roles/logging.logWriter" && google_project_iam_member.log_writer.project == "my-proj"
    error_message = "log entries are the only project-wide grant"
  }
  assert {
    condition     = toset(keys(google_cloud_run_v2_service_iam_member.invoker)) == toset(["allUsers"]) && google_cloud_run_v2_service_iam_member.invoker["allUsers"].role == "roles/run.invoker" && google_cloud_run_v2_service_iam_member.invoker["allUsers"].name == "pinterest-capi"
    error_message = "with caller keys anyone may reach the function's Cloud Run service, which checks the key itself"
  }
}

run "function_secrets_are_created_empty_and_named_in_its_settings" {
  command = plan

  assert {
    condition     = google_secret_manager_secret.token["default"].secret_id == "pinterest-capi-token" && google_secret_manager_secret.caller_keys[0].secret_id == "pinterest-capi-caller-keys"
    error_message = "secret ids are NAME-token and NAME-caller-keys"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].service_config[0].environment_variables["PINTEREST_ACCESS_TOKEN_SECRET"] == "projects/my-proj/secrets/pinterest-capi-token"
    error_message = "the function is told the token secret's name"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].service_config[0].environment_variables["GATEWAY_API_KEYS_SECRET"] == "projects/my-proj/secrets/pinterest-capi-caller-keys"
    error_message = "the function is told the caller-keys secret's name"
  }
}

run "per_account_tokens_get_one_secret_each" {
  command = plan

  variables {
    ad_account_ids     = ["549000000001"]
    per_account_tokens = true
  }

  assert {
    condition     = sort(keys(google_secret_manager_secret.token)) == tolist(["549000000001", "549123456789"]) && google_secret_manager_secret.token["549000000001"].secret_id == "pinterest-capi-token-549000000001"
    error_message = "one token secret per ad account, NAME-token-ACCOUNT"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].service_config[0].environment_variables["PINTEREST_ACCESS_TOKEN_SECRET"] == "projects/my-proj/secrets/pinterest-capi-token-{ad_account_id}"
    error_message = "the function substitutes the account into the token secret's name"
  }
}

run "log_table_has_the_schema_the_function_writes" {
  command = plan

  assert {
    condition     = jsondecode(google_bigquery_table.logs.schema) == jsondecode(file("../function/logs/schema.json"))
    error_message = "the table's schema must be function/logs/schema.json"
  }
  assert {
    condition     = google_bigquery_table.logs.time_partitioning[0].field == "timestamp" && google_bigquery_table.logs.clustering == tolist(["outcome", "event_name"])
    error_message = "the table is partitioned by timestamp and clustered by outcome, event_name"
  }
}

run "caller_auth_iam_invokers_are_the_named_principals" {
  command = plan

  variables {
    caller_auth     = "iam"
    invoker_members = ["serviceAccount:sgtm@my-proj.iam.gserviceaccount.com"]
  }

  assert {
    condition     = toset(keys(google_cloud_run_v2_service_iam_member.invoker)) == toset(["serviceAccount:sgtm@my-proj.iam.gserviceaccount.com"]) && length(google_secret_manager_secret.caller_keys) == 0
    error_message = "with iam, only the named principals may invoke, and there is no caller-keys secret"
  }
}

run "an_alert_waits_for_its_metric" {
  command = plan

  variables {
    failure_alert = { notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }

  assert {
    condition     = length(google_monitoring_alert_policy.failed_events) == 1 && time_sleep.metric_known[0].create_duration == "90s"
    error_message = "the alert policy is created after a wait for its log-based metric"
  }
}

run "no_alert_by_default" {
  command = plan

  assert {
    condition     = length(google_monitoring_alert_policy.traffic_stopped) + length(google_monitoring_alert_policy.token_rejected) + length(google_monitoring_alert_policy.error_ratio) + length(google_monitoring_alert_policy.failed_events) + length(time_sleep.metric_known) == 0
    error_message = "every alert is off by default, and nothing waits for a metric"
  }
  assert {
    condition     = google_logging_metric.delivery_outcomes.label_extractors["ad_account_id"] == "EXTRACT(jsonPayload.ad_account_id)" && google_logging_metric.token_rejections.label_extractors["ad_account_id"] == "EXTRACT(jsonPayload.ad_account_id)"
    error_message = "the metrics the alerts read are created anyway, labelled by ad account"
  }
}

run "traffic_alert_fires_on_an_ad_account_without_deliveries" {
  command = plan

  variables {
    traffic_alert = { minutes = 30, notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }

  assert {
    condition     = length(google_monitoring_alert_policy.traffic_stopped) == 1 && length(time_sleep.metric_known) == 1
    error_message = "traffic_alert creates its policy, after the wait for the metric"
  }
  assert {
    condition     = google_monitoring_alert_policy.traffic_stopped[0].notification_channels == tolist(["projects/my-proj/notificationChannels/1"])
    error_message = "the policy notifies the given channels"
  }
  assert {
    condition     = google_monitoring_alert_policy.traffic_stopped[0].conditions[0].condition_absent[0].duration == "1800s"
    error_message = "absence for the given minutes"
  }
  assert {
    condition     = strcontains(google_monitoring_alert_policy.traffic_stopped[0].conditions[0].condition_absent[0].filter, "metric.type=\"logging.googleapis.com/user/pinterest-capi-delivery-outcomes\"") && strcontains(google_monitoring_alert_policy.traffic_stopped[0].conditions[0].condition_absent[0].filter, "metric.label.outcome=\"delivered\"")
    error_message = "the absence is of delivered events"
  }
  assert {
    condition     = google_monitoring_alert_policy.traffic_stopped[0].conditions[0].condition_absent[0].aggregations[0].group_by_fields == tolist(["metric.label.ad_account_id"])
    error_message = "one series per ad account, so one silent account alerts while others deliver"
  }
  assert {
    condition     = strcontains(google_monitoring_alert_policy.traffic_stopped[0].documentation[0].content, "python -m function logs") && strcontains(google_monitoring_alert_policy.traffic_stopped[0].documentation[0].content, "Failures in the last 24 hours by reason")
    error_message = "the documentation says what to look at first: the logs command and the README's query"
  }
}

run "pinterest_auth_alert_fires_on_any_401_or_403" {
  command = plan

  variables {
    pinterest_auth_alert = { notification_channels = ["projects/my-proj/notificationChannels/2"] }
  }

  assert {
    condition     = length(google_monitoring_alert_policy.token_rejected) == 1 && google_monitoring_alert_policy.token_rejected[0].notification_channels == tolist(["projects/my-proj/notificationChannels/2"])
    error_message = "pinterest_auth_alert creates its policy for the given channels"
  }
  assert {
    condition = (
      google_monitoring_alert_policy.token_rejected[0].conditions[0].condition_threshold[0].threshold_value == 0
      && google_monitoring_alert_policy.token_rejected[0].conditions[0].condition_threshold[0].comparison == "COMPARISON_GT"
      && strcontains(google_monitoring_alert_policy.token_rejected[0].conditions[0].condition_threshold[0].filter, "logging.googleapis.com/user/pinterest-capi-token-rejections")
    )
    error_message = "a single rejection alerts"
  }
  assert {
    condition     = google_logging_metric.token_rejections.filter == "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(\"pinterest-capi\" OR \"pinterest-capi-drain\") AND jsonPayload.message=\"pinterest token rejected\""
    error_message = "the metric counts the deliverer's own line"
  }
  assert {
    condition     = strcontains(google_monitoring_alert_policy.token_rejected[0].documentation[0].content, "python -m function logs") && strcontains(google_monitoring_alert_policy.token_rejected[0].documentation[0].content, "python -m function replay")
    error_message = "the documentation says what to look at first and how to recover"
  }
}

run "error_ratio_alert_divides_failed_by_delivered_and_failed" {
  command = plan

  variables {
    error_ratio_alert = { threshold = 0.1, notification_channels = ["projects/my-proj/notificationChannels/3"] }
  }

  assert {
    condition     = length(google_monitoring_alert_policy.error_ratio) == 1 && google_monitoring_alert_policy.error_ratio[0].notification_channels == tolist(["projects/my-proj/notificationChannels/3"])
    error_message = "error_ratio_alert creates its policy for the given channels"
  }
  assert {
    condition = (
      endswith(google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].filter, "metric.label.outcome=\"failed\"")
      && !strcontains(google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].denominator_filter, "metric.label.outcome")
      && strcontains(google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].denominator_filter, "logging.googleapis.com/user/pinterest-capi-delivery-outcomes")
      && google_logging_metric.delivery_outcomes.filter == "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(\"pinterest-capi\" OR \"pinterest-capi-drain\") AND jsonPayload.outcome=(\"delivered\" OR \"failed\")"
    )
    error_message = "failed events over delivered and failed ones, of one metric"
  }
  assert {
    condition = (
      google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].threshold_value == 0.1
      && google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].aggregations[0].alignment_period == "900s"
      && google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].denominator_aggregations[0].alignment_period == "900s"
      && google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].aggregations[0].group_by_fields == tolist(["metric.label.ad_account_id"])
      && google_monitoring_alert_policy.error_ratio[0].conditions[0].condition_threshold[0].denominator_aggregations[0].group_by_fields == tolist(["metric.label.ad_account_id"])
    )
    error_message = "over 15 minutes, per ad account on both sides of the ratio"
  }
  assert {
    condition     = strcontains(google_monitoring_alert_policy.error_ratio[0].documentation[0].content, "python -m function logs") && strcontains(google_monitoring_alert_policy.error_ratio[0].documentation[0].content, "Failures in the last 24 hours by reason")
    error_message = "the documentation says what to look at first"
  }
}

run "match_quality_view_reads_the_log_table" {
  command = plan

  assert {
    condition     = google_bigquery_table.match_quality.table_id == "events_match_quality" && google_bigquery_table.match_quality.dataset_id == "pinterest_capi"
    error_message = "the view sits beside the log table"
  }
  assert {
    condition     = google_bigquery_table.match_quality.view[0].use_legacy_sql == false && google_bigquery_table.match_quality.view[0].query == templatefile("../function/logs/match_quality.sql", { table = "my-proj.pinterest_capi.events" })
    error_message = "the view's query is function/logs/match_quality.sql over the log table"
  }
}
