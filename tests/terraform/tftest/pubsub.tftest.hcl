# delivery.mode = "pubsub", planned by terraform against the provider stand-in: the queue, its
# dead letters, the grants, and the drain in each shape. Plan tests (test_pubsub_plan.py) check
# what terraform test cannot see before apply (the scheduler's audience is the drain's URL).

variables {
  project_id    = "my-proj"
  ad_account_id = "549123456789"
  delivery      = { mode = "pubsub" }
  pubsub        = { project_number = "123456789012" }
}

run "queue_subscription_never_expires_and_dead_letters" {
  command = plan

  assert {
    condition     = google_pubsub_topic.events[0].name == "pinterest-capi-events" && google_pubsub_subscription.events[0].name == "pinterest-capi-events"
    error_message = "the topic and its subscription are named after the gateway"
  }
  assert {
    condition = (
      google_pubsub_subscription.events[0].ack_deadline_seconds == 60
      && google_pubsub_subscription.events[0].message_retention_duration == "604800s"
      && google_pubsub_subscription.events[0].expiration_policy[0].ttl == ""
      && google_pubsub_subscription.events[0].retry_policy[0].minimum_backoff == "10s"
      && google_pubsub_subscription.events[0].retry_policy[0].maximum_backoff == "600s"
    )
    error_message = "the subscription keeps messages 7 days, never expires and backs off from 10 s to 10 min"
  }
  assert {
    condition     = google_pubsub_subscription.events[0].dead_letter_policy[0].max_delivery_attempts == 100 && google_pubsub_topic.dead_letter[0].name == "pinterest-capi-events-dead-letter" && google_pubsub_subscription.dead_letter[0].expiration_policy[0].ttl == ""
    error_message = "a message no drain settles in 100 deliveries moves to the dead-letter topic, kept by its own subscription"
  }
}

run "dead_lettering_agent_and_runtime_get_only_their_roles" {
  command = plan

  assert {
    condition = (
      google_pubsub_topic_iam_member.dead_letter_publisher[0].role == "roles/pubsub.publisher"
      && google_pubsub_topic_iam_member.dead_letter_publisher[0].topic == "pinterest-capi-events-dead-letter"
      && google_pubsub_topic_iam_member.dead_letter_publisher[0].member == "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
      && google_pubsub_subscription_iam_member.dead_letter_subscriber[0].role == "roles/pubsub.subscriber"
      && google_pubsub_subscription_iam_member.dead_letter_subscriber[0].subscription == "pinterest-capi-events"
      && google_pubsub_subscription_iam_member.dead_letter_subscriber[0].member == "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    )
    error_message = "the Pub/Sub service agent publishes to the dead-letter topic and acks on the subscription"
  }
  assert {
    condition = (
      google_pubsub_topic_iam_member.runtime_publisher[0].topic == "pinterest-capi-events"
      && google_pubsub_topic_iam_member.runtime_publisher[0].role == "roles/pubsub.publisher"
      && google_pubsub_topic_iam_member.runtime_publisher[0].member == "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
      && google_pubsub_subscription_iam_member.runtime_subscriber[0].subscription == "pinterest-capi-events"
      && google_pubsub_subscription_iam_member.runtime_subscriber[0].role == "roles/pubsub.subscriber"
      && google_pubsub_subscription_iam_member.runtime_subscriber[0].member == "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
    )
    error_message = "the runtime account publishes on the topic and subscribes on the subscription, nothing wider"
  }
}

run "function_shape_drains_from_a_private_scheduled_function" {
  command = plan

  assert {
    condition     = google_cloudfunctions2_function.scheduled["drain"].build_config[0].entry_point == "pinterest_capi_drain" && google_cloudfunctions2_function.scheduled["drain"].service_config[0].ingress_settings == "ALLOW_INTERNAL_ONLY" && google_cloudfunctions2_function.scheduled["drain"].service_config[0].max_instance_count == 1
    error_message = "the drain runs main.pinterest_capi_drain, internal only, one instance at a time"
  }
  assert {
    condition     = google_cloud_run_v2_service_iam_member.scheduled_invoker["drain"].name == "pinterest-capi-drain" && google_cloud_run_v2_service_iam_member.scheduled_invoker["drain"].member == "serviceAccount:pinterest-capi-sched@my-proj.iam.gserviceaccount.com" && !contains(keys(google_cloud_run_v2_service_iam_member.invoker), "pinterest-capi-drain")
    error_message = "only the scheduler's own account may invoke the drain"
  }
  assert {
    condition     = google_cloud_scheduler_job.scheduled["drain"].schedule == "* * * * *" && google_cloud_scheduler_job.scheduled["drain"].http_target[0].oidc_token[0].service_account_email == "pinterest-capi-sched@my-proj.iam.gserviceaccount.com" && google_cloud_scheduler_job.scheduled["drain"].http_target[0].http_method == "POST"
    error_message = "Cloud Scheduler calls the drain every minute with an OIDC token of its own account"
  }
  assert {
    condition     = google_cloudfunctions2_function.main[0].service_config[0].environment_variables["PUBSUB_DRAIN_BUDGET_S"] == "45" && google_cloudfunctions2_function.main[0].service_config[0].environment_variables["PUBSUB_STREAM"] == ""
    error_message = "the function shape drains on schedule within 45 s, and does not stream"
  }
}

run "service_shape_streams_and_has_no_scheduler" {
  command = plan

  variables {
    deploy_as = "service"
    image     = "us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    compute   = { min_instances = 1 }
  }

  assert {
    condition     = length(google_cloudfunctions2_function.scheduled) == 0 && length(google_cloud_scheduler_job.scheduled) == 0 && length(google_service_account.scheduler) == 0
    error_message = "a service (CPU always allocated) streams: no drain function, no scheduler"
  }
  assert {
    condition     = contains([for env in google_cloud_run_v2_service.main[0].template[0].containers[0].env : "${env.name}=${env.value}"], "PUBSUB_STREAM=true")
    error_message = "each service instance drains by streaming pull"
  }
}

run "other_modes_make_no_queue" {
  command = plan

  variables {
    delivery = { mode = "optimistic" }
  }

  assert {
    condition     = length(google_pubsub_topic.events) == 0 && length(google_pubsub_subscription.events) == 0 && length(google_cloudfunctions2_function.scheduled) == 0
    error_message = "only pubsub delivery makes a topic, a subscription and a drain"
  }
}

run "pubsub_without_project_number_is_refused" {
  command = plan

  variables {
    pubsub = {}
  }

  expect_failures = [google_pubsub_topic.events]
}

run "pubsub_service_without_a_running_instance_is_refused" {
  command = plan

  variables {
    deploy_as = "service"
    image     = "us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  expect_failures = [google_pubsub_topic.events]
}

run "pubsub_publish_timeout_over_10_s" {
  command = plan
  variables {
    pubsub = { project_number = "123456789012", publish_timeout_s = 11 }
  }
  expect_failures = [var.pubsub]
}

run "pubsub_schedule_not_cron" {
  command = plan
  variables {
    pubsub = { project_number = "123456789012", schedule = "every minute" }
  }
  expect_failures = [var.pubsub]
}

run "pubsub_project_number_not_digits" {
  command = plan
  variables {
    pubsub = { project_number = "my-proj" }
  }
  expect_failures = [var.pubsub]
}

run "pubsub_retry_window_over_7_days" {
  command = plan
  variables {
    pubsub = { project_number = "123456789012", retry_window_s = 604801 }
  }
  expect_failures = [var.pubsub]
}

run "pubsub_max_delivery_attempts_under_5" {
  command = plan
  variables {
    pubsub = { project_number = "123456789012", max_delivery_attempts = 4 }
  }
  expect_failures = [var.pubsub]
}

run "pubsub_drain_budget_over_45_s" {
  command = plan
  variables {
    pubsub = { project_number = "123456789012", drain_budget_s = 50 }
  }
  expect_failures = [var.pubsub]
}
