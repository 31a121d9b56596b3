locals {
  # Exactly the runtime files, relative to the repository root: never tests, tools or terraform.
  # function/sandbox/ is the local stand-in for Pinterest (make dev, tests): it never runs deployed.
  # tests/terraform reads both lists from here to rebuild the same archive.
  source_include = ["main.py", "requirements.txt", "function/**"]
  source_exclude = ["function/sandbox/**", "function/**/__pycache__/**", "function/**/*.pyc"]

  source_files = sort(tolist(setsubtract(
    toset(flatten([for pattern in local.source_include : tolist(fileset(local.source_root, pattern))])),
    toset(flatten([for pattern in local.source_exclude : tolist(fileset(local.source_root, pattern))])),
  )))
}

# Built from an explicit file list rather than source_dir, which can only exclude. The runtime
# files are text (file() reads UTF-8); tests/terraform checks that they stay so.
data "archive_file" "source" {
  type             = "zip"
  output_path      = "${path.root}/.terraform/tmp/${var.name}-source.zip"
  output_file_mode = "0644"

  dynamic "source" {
    for_each = toset(local.source_files)
    content {
      filename = source.value
      content  = file("${local.source_root}/${source.value}")
    }
  }
}

# deploy_as = function, or a probe (scheduled.tf): a service runs the image cloudbuild.yaml builds
# from the same archive, and its probe runs from this one.
resource "google_storage_bucket" "source" {
  # checkov:skip=CKV_GCP_62: the bucket holds only the deployed code archive, written by terraform; access logs would need a second bucket and say nothing Cloud Audit Logs do not.
  count = var.deploy_as == "function" || local.probe ? 1 : 0

  project  = var.project_id
  name     = "${var.project_id}-${var.name}-source"
  location = var.region
  labels   = var.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  # Every upload is a new generation of one object: the live one is never deleted; of the earlier
  # (noncurrent) ones, the 3 most recent stay for a rollback, and none stays past 30 days.
  lifecycle_rule {
    condition {
      num_newer_versions = 4
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.main]
}

resource "google_storage_bucket_object" "source" {
  count = length(google_storage_bucket.source)

  # One name, a new generation per content (source_md5hash replaces the object when the code
  # changes); the function names the generation, so a code change alone redeploys it.
  name           = "source.zip"
  bucket         = google_storage_bucket.source[0].name
  source         = data.archive_file.source.output_path
  source_md5hash = data.archive_file.source.output_md5
  content_type   = "application/zip"
}

# Images for deploy_as = service; cloudbuild.yaml pushes here and passes the digest in.
resource "google_artifact_registry_repository" "main" {
  # checkov:skip=CKV_GCP_84: Google-managed encryption; the images hold the same code as the repository, no secrets (those stay in Secret Manager).
  count = var.deploy_as == "service" ? 1 : 0

  project       = var.project_id
  location      = var.region
  repository_id = var.name
  format        = "DOCKER"
  description   = "Images of the Pinterest Conversions API gateway ${var.name}."
  labels        = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "7776000s" # 90 days; the 10 most recent stay whatever their age
    }
  }

  depends_on = [google_project_service.main]
}
