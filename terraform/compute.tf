# The same code, settings, identity and secrets in one of two shapes (var.deploy_as).

locals {
  ingress = {
    all                 = { function = "ALLOW_ALL", service = "INGRESS_TRAFFIC_ALL" }
    internal            = { function = "ALLOW_INTERNAL_ONLY", service = "INGRESS_TRAFFIC_INTERNAL_ONLY" }
    "internal-and-gclb" = { function = "ALLOW_INTERNAL_AND_GCLB", service = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" }
  }[var.ingress]

  # keys: anyone may reach the URL and the function checks the caller's key itself.
  # iam: Cloud Run checks the caller's Google-signed ID token before the function runs.
  invokers = var.caller_auth == "keys" ? ["allUsers"] : var.invoker_members

  # A 2nd gen function runs as a Cloud Run service of the same name.
  run_service_name = var.deploy_as == "function" ? google_cloudfunctions2_function.main[0].name : google_cloud_run_v2_service.main[0].name
  url              = var.deploy_as == "function" ? google_cloudfunctions2_function.main[0].service_config[0].uri : google_cloud_run_v2_service.main[0].uri
}

# deploy_as = function: `terraform apply` uploads the source and Cloud Build builds it.
# CPU is allocated only while a request is in flight (request-based billing), and the resource
# has no setting to change that.
resource "google_cloudfunctions2_function" "main" {
  # checkov:skip=CKV_GCP_124: ingress defaults to all because a server-side GTM container calls from outside the project's network; callers are authenticated by key or IAM (caller_auth), and var.ingress narrows it.
  count = var.deploy_as == "function" ? 1 : 0

  project     = var.project_id
  location    = var.region
  name        = var.name
  description = "Pinterest Conversions API gateway for server-side GTM."
  labels      = var.labels

  build_config {
    runtime         = local.python_runtime
    entry_point     = local.entry_point
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket.source[0].name
        object = google_storage_bucket_object.source[0].name
        # A new generation per upload, so a code change alone redeploys the function.
        generation = google_storage_bucket_object.source[0].generation
      }
    }
  }

  service_config {
    service_account_email            = local.runtime_email
    available_cpu                    = var.compute.cpu
    available_memory                 = var.compute.memory
    max_instance_request_concurrency = var.compute.concurrency
    min_instance_count               = var.compute.min_instances
    max_instance_count               = var.compute.max_instances
    timeout_seconds                  = var.compute.timeout_seconds
    ingress_settings                 = local.ingress.function
    all_traffic_on_latest_revision   = true
    environment_variables            = local.env
  }

  # The first instance already needs its secrets and log table.
  depends_on = [
    google_secret_manager_secret_iam_member.token,
    google_secret_manager_secret_iam_member.caller_keys,
    google_bigquery_table_iam_member.log_writer,
    google_project_iam_member.log_writer,
  ]
}

# deploy_as = service: the image cloudbuild.yaml builds from the same source with Google's
# buildpacks (function target pinterest_capi), with CPU allocated between requests too
# (instance-based billing), so the optimistic sender keeps sending while no request is in flight.
resource "google_cloud_run_v2_service" "main" {
  count = var.deploy_as == "service" ? 1 : 0

  project     = var.project_id
  location    = var.region
  name        = var.name
  description = "Pinterest Conversions API gateway for server-side GTM."
  labels      = var.labels
  ingress     = local.ingress.service

  deletion_protection = var.deletion_protection

  template {
    service_account                  = local.runtime_email
    max_instance_request_concurrency = var.compute.concurrency
    timeout                          = "${var.compute.timeout_seconds}s"

    scaling {
      min_instance_count = var.compute.min_instances
      max_instance_count = var.compute.max_instances
    }

    containers {
      image = var.image

      resources {
        limits = {
          cpu    = var.compute.cpu
          memory = var.compute.memory
        }
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.image != null
      error_message = "deploy_as = \"service\" needs image: the digest cloudbuild.yaml pushes, REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:HEX."
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.token,
    google_secret_manager_secret_iam_member.caller_keys,
    google_bigquery_table_iam_member.log_writer,
    google_project_iam_member.log_writer,
  ]
}

# Invoker access on the Cloud Run service, in both shapes: a 2nd gen function is served by the
# Cloud Run service of its name, whose run.invoker decides who may call it (cloudfunctions.invoker
# governs 1st gen functions only).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = toset(local.invokers)

  project  = var.project_id
  location = var.region
  name     = local.run_service_name
  role     = "roles/run.invoker"
  member   = each.value
}
