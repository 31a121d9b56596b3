# The probe (scheduled.tf) and the backlog alert (pubsub.tf), planned by terraform against the provider
# stand-in. Plan tests (test_probe_plan.py) read what terraform test cannot (the jobs' audience).

variables {
  project_id     = "my-proj"
  ad_account_id  = "549123456789"
  ad_account_ids = ["549000000002"]
  probe          = {}
}

run "one_probe_job_per_ad_account_with_the_accounts_query" {
  command = plan

  assert {
    condition     = local.scheduled_jobs["probe-549123456789"].query == "?ad_account_id=549123456789" && local.scheduled_jobs["probe-549000000002"].query == "?ad_account_id=549000000002" && length(google_cloud_scheduler_job.scheduled) == 2
    error_message = "each configured ad account has its own job, which names the account in the query"
  }
  assert {
    condition     = google_cloud_scheduler_job.scheduled["probe-549000000002"].schedule == "*/10 * * * *" && google_cloud_scheduler_job.scheduled["probe-549000000002"].http_target[0].oidc_token[0].service_account_email == "pinterest-capi-sched@my-proj.iam.gserviceaccount.com"
    error_message = "the probe runs every 10 minutes by default, with an OIDC token of the scheduler's account"
  }
  assert {
    condition     = google_cloud_run_v2_service_iam_member.scheduled_invoker["probe"].member == "serviceAccount:pinterest-capi-sched@my-proj.iam.gserviceaccount.com" && !contains(keys(google_cloud_run_v2_service_iam_member.invoker), "pinterest-capi-probe") && length(google_cloud_run_v2_service_iam_member.scheduled_invoker) == 1
    error_message = "only the scheduler's account may invoke the probe"
  }
  assert {
    condition     = length(google_logging_metric.probe_failures) == 1 && length(google_monitoring_alert_policy.probe_failed) == 0
    error_message = "the probe's metric exists with the probe; its alert only with probe_alert"
  }
}

run "no_probe_by_default" {
  command = plan

  variables {
    probe = null
  }

  assert {
    condition     = length(google_cloudfunctions2_function.scheduled) == 0 && length(google_service_account.scheduler) == 0 && length(google_logging_metric.probe_failures) == 0 && !contains(keys(google_project_service.main), "cloudscheduler.googleapis.com")
    error_message = "without probe (and without a drain) there is no scheduled function, scheduler account or scheduler API"
  }
}

run "backlog_alert_only_with_pubsub_delivery" {
  command = plan

  variables {
    backlog_alert = { notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }

  assert {
    condition     = length(google_monitoring_alert_policy.backlog_age) == 0
    error_message = "no subscription, no backlog alert"
  }
}

run "probe_every_7_minutes" {
  command = plan
  variables {
    probe = { every_minutes = 7 }
  }
  expect_failures = [var.probe]
}

run "probe_alert_without_channels" {
  command = plan
  variables {
    probe_alert = { notification_channels = [] }
  }
  expect_failures = [var.probe_alert]
}

run "probe_alert_without_probe" {
  command = plan
  variables {
    probe       = null
    probe_alert = { notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }
  expect_failures = [var.probe_alert]
}

run "backlog_alert_under_5_minutes" {
  command = plan
  variables {
    backlog_alert = { minutes = 4, notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }
  expect_failures = [var.backlog_alert]
}

run "backlog_alert_with_a_bad_channel" {
  command = plan
  variables {
    backlog_alert = { notification_channels = ["channel-1"] }
  }
  expect_failures = [var.backlog_alert]
}
