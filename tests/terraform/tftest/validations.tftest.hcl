# Every variable validation of the module: the defaults and edge values pass, a bad value is refused.
# tests/terraform/test_terraform.py checks that each validation block has a refusal here.

variables {
  project_id    = "my-proj"
  ad_account_id = "549123456789"
}

run "defaults_pass" {
  command = plan
}

run "edge_values_pass" {
  command = plan

  variables {
    ad_account_id        = "123456789012345678"
    ad_account_ids       = ["1", "999999999999999999"]
    name                 = "abcdef"
    compute              = { cpu = "8", memory = "4Gi", concurrency = 1000, min_instances = 2, max_instances = 2, timeout_seconds = 3600 }
    log_table            = { dataset_id = "d${join("", [for i in range(1023) : "x"])}", table_id = "events-2026_v1", partition_expiration_days = 0 }
    labels               = { team = "growth", "café" = "ünïcode", "a" = "" }
    traffic_alert        = { minutes = 1410, notification_channels = ["projects/my-proj/notificationChannels/1"] }
    pinterest_auth_alert = { notification_channels = ["projects/my-proj/notificationChannels/1", "projects/p/notificationChannels/2"] }
    error_ratio_alert    = { threshold = 0.99, notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }
}

run "ad_account_id_over_18_digits" {
  command = plan
  variables {
    ad_account_id = "1234567890123456789"
  }
  expect_failures = [var.ad_account_id]
}

run "name_with_capitals" {
  command = plan
  variables {
    name = "Pinterest-CAPI"
  }
  expect_failures = [var.name]
}

run "ad_account_ids_with_letters" {
  command = plan
  variables {
    ad_account_ids = ["549abc"]
  }
  expect_failures = [var.ad_account_ids]
}

run "deploy_as_unknown" {
  command = plan
  variables {
    deploy_as = "vm"
  }
  expect_failures = [var.deploy_as]
}

run "image_by_tag" {
  command = plan
  variables {
    image = "us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway:latest"
  }
  expect_failures = [var.image]
}

run "compute_cpu_not_whole" {
  command = plan
  variables {
    compute = { cpu = "3" }
  }
  expect_failures = [var.compute]
}

run "compute_memory_without_unit" {
  command = plan
  variables {
    compute = { memory = "512" }
  }
  expect_failures = [var.compute]
}

run "compute_4_cpus_with_default_memory" {
  command = plan
  variables {
    compute = { cpu = "4" }
  }
  expect_failures = [var.compute]
}

run "compute_8_gib_on_1_cpu" {
  command = plan
  variables {
    compute = { cpu = "1", memory = "8Gi" }
  }
  expect_failures = [var.compute]
}

run "compute_concurrency_zero" {
  command = plan
  variables {
    compute = { concurrency = 0 }
  }
  expect_failures = [var.compute]
}

run "compute_min_over_max_instances" {
  command = plan
  variables {
    compute = { min_instances = 5, max_instances = 2 }
  }
  expect_failures = [var.compute]
}

run "compute_timeout_over_an_hour" {
  command = plan
  variables {
    compute = { timeout_seconds = 3601 }
  }
  expect_failures = [var.compute]
}

run "ingress_unknown" {
  command = plan
  variables {
    ingress = "public"
  }
  expect_failures = [var.ingress]
}

run "caller_auth_unknown" {
  command = plan
  variables {
    caller_auth = "none"
  }
  expect_failures = [var.caller_auth]
}

run "invoker_members_all_users" {
  command = plan
  variables {
    caller_auth     = "iam"
    invoker_members = ["allUsers"]
  }
  expect_failures = [var.invoker_members]
}

run "pinterest_event_name_setup_unknown" {
  command = plan
  variables {
    pinterest = { event_name_setup = "fixed" }
  }
  expect_failures = [var.pinterest]
}

run "pinterest_standard_without_event_name" {
  command = plan
  variables {
    pinterest = { event_name_setup = "standard" }
  }
  expect_failures = [var.pinterest]
}

run "pinterest_action_source_unknown" {
  command = plan
  variables {
    pinterest = { action_source = "email" }
  }
  expect_failures = [var.pinterest]
}

run "pinterest_consent_unknown" {
  command = plan
  variables {
    pinterest = { consent = "maybe" }
  }
  expect_failures = [var.pinterest]
}

run "delivery_mode_unknown" {
  command = plan
  variables {
    delivery = { mode = "later" }
  }
  expect_failures = [var.delivery]
}

run "delivery_batch_over_pinterest_limit" {
  command = plan
  variables {
    delivery = { batch_max = 1001 }
  }
  expect_failures = [var.delivery]
}

run "log_console_unknown" {
  command = plan
  variables {
    log_console = "verbose"
  }
  expect_failures = [var.log_console]
}

run "log_table_negative_expiration" {
  command = plan
  variables {
    log_table = { partition_expiration_days = -1 }
  }
  expect_failures = [var.log_table]
}

run "log_table_dataset_with_hyphen" {
  command = plan
  variables {
    log_table = { dataset_id = "pinterest-capi" }
  }
  expect_failures = [var.log_table]
}

run "log_table_table_id_over_1024" {
  command = plan
  variables {
    log_table = { table_id = format("%01025d", 0) }
  }
  expect_failures = [var.log_table]
}

run "labels_with_capitals" {
  command = plan
  variables {
    labels = { Team = "growth" }
  }
  expect_failures = [var.labels]
}

run "labels_value_too_long" {
  command = plan
  variables {
    labels = { team = join("", [for i in range(64) : "v"]) }
  }
  expect_failures = [var.labels]
}

run "body_timeout_zero" {
  command = plan
  variables {
    body_timeout_s = 0
  }
  expect_failures = [var.body_timeout_s]
}

run "delivery_await_deadline_past_the_request_timeout" {
  command = plan
  variables {
    delivery = { await_deadline_s = 60 }
  }
  expect_failures = [var.delivery]
}

run "delivery_shutdown_budget_past_sigkill" {
  command = plan
  variables {
    delivery = { shutdown_budget_s = 11 }
  }
  expect_failures = [var.delivery]
}

run "traffic_alert_minutes_below_five" {
  command = plan
  variables {
    traffic_alert = { minutes = 2, notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }
  expect_failures = [var.traffic_alert]
}

run "traffic_alert_without_a_channel" {
  command = plan
  variables {
    traffic_alert = { notification_channels = ["my-channel"] }
  }
  expect_failures = [var.traffic_alert]
}

run "pinterest_auth_alert_without_a_channel" {
  command = plan
  variables {
    pinterest_auth_alert = { notification_channels = [] }
  }
  expect_failures = [var.pinterest_auth_alert]
}

run "error_ratio_alert_threshold_in_percent" {
  command = plan
  variables {
    error_ratio_alert = { threshold = 5, notification_channels = ["projects/my-proj/notificationChannels/1"] }
  }
  expect_failures = [var.error_ratio_alert]
}

run "error_ratio_alert_channel_by_name" {
  command = plan
  variables {
    error_ratio_alert = { notification_channels = ["ops-pager"] }
  }
  expect_failures = [var.error_ratio_alert]
}
