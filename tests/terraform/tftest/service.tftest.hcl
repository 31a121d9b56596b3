# The Cloud Run service shape, planned by terraform against the provider stand-in.

variables {
  project_id    = "my-proj"
  ad_account_id = "549123456789"
  deploy_as     = "service"
  image         = "us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "service_keeps_a_whole_cpu_between_requests" {
  command = plan

  assert {
    condition     = google_cloud_run_v2_service.main[0].template[0].containers[0].resources[0].cpu_idle == false
    error_message = "the service keeps CPU allocated between requests (instance-based billing) for the optimistic sender"
  }
  assert {
    condition     = google_cloud_run_v2_service.main[0].template[0].containers[0].resources[0].limits == tomap({ cpu = "1", memory = "512Mi" })
    error_message = "the service gets the compute defaults"
  }
  assert {
    condition     = google_cloud_run_v2_service.main[0].template[0].containers[0].image == var.image
    error_message = "the service runs the image by digest"
  }
  assert {
    condition     = google_cloud_run_v2_service.main[0].template[0].service_account == "pinterest-capi@my-proj.iam.gserviceaccount.com"
    error_message = "the service runs as the module's runtime account"
  }
}

run "service_uploads_no_source" {
  command = plan

  assert {
    condition     = length(google_storage_bucket.source) == 0 && length(google_storage_bucket_object.source) == 0 && length(google_cloudfunctions2_function.main) == 0
    error_message = "nothing reads an uploaded archive in the service shape"
  }
  assert {
    condition     = length(google_artifact_registry_repository.main) == 1 && google_artifact_registry_repository.main[0].format == "DOCKER"
    error_message = "the service shape has its image repository"
  }
}

run "service_needs_an_image" {
  command = plan

  variables {
    image = null
  }

  expect_failures = [google_cloud_run_v2_service.main]
}
