terraform {
  # 1.5: optional() object attributes with defaults, and check blocks.
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.0: deletion_protection on google_cloud_run_v2_service; the resources used here are
      # unchanged up to 7.x.
      version = ">= 6.0, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
    # time_sleep: the wait between a log-based metric and the alert policy on it.
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9, < 1.0"
    }
  }
}
