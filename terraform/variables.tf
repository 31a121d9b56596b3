variable "project_id" {
  description = "Project that hosts the gateway."
  type        = string
}

variable "ad_account_id" {
  description = "Pinterest ad account that receives the events (digits only, e.g. 549123456789)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{1,18}$", var.ad_account_id))
    error_message = "ad_account_id must be 1 to 18 digits (Pinterest's ad account ids), e.g. 549123456789."
  }
}

variable "region" {
  # us-central1: Cloud Functions' own default region.
  description = "Region of the function or service, its source bucket and image repository, and (unless log_table.location says otherwise) the log dataset."
  type        = string
  default     = "us-central1"
}

variable "name" {
  description = "Name of the function or service; also the prefix of the service account, secrets, bucket, repository and metric."
  type        = string
  default     = "pinterest-capi"

  validation {
    # 6 to 24 characters: a service account id needs 6 to 30, and the bucket name adds the project id.
    condition     = can(regex("^[a-z][a-z0-9-]{4,22}[a-z0-9]$", var.name))
    error_message = "name must be 6 to 24 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "ad_account_ids" {
  description = "Other ad accounts a request may choose with pinterest.ad_account_id; any other is refused. ad_account_id is always allowed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.ad_account_ids : can(regex("^[0-9]{1,18}$", id))])
    error_message = "ad_account_ids must hold 1 to 18 digits each (Pinterest's ad account ids), e.g. [\"549123456789\"]."
  }
}

variable "per_account_tokens" {
  description = "true: one token secret per ad account (NAME-token-ACCOUNT); false: one token secret (NAME-token) for all of them."
  type        = bool
  default     = false
}

variable "deploy_as" {
  description = <<-EOT
    What runs the code. function: a Cloud Functions 2nd gen function that `terraform apply` builds from the source archive; it gets CPU only while a request is in flight, so awaited delivery is the right mode for it and optimistic delivery is best-effort between requests. service: a Cloud Run service running `image` (built by cloudbuild.yaml) with CPU always allocated (instance-based billing, at least 1 vCPU), so optimistic batching keeps sending between requests.
  EOT
  type        = string
  default     = "function"

  validation {
    condition     = contains(["function", "service"], var.deploy_as)
    error_message = "deploy_as must be function or service."
  }
}

variable "image" {
  description = "Container image for deploy_as = service, by digest: REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:HEX (cloudbuild.yaml passes it). Unused for function."
  type        = string
  default     = null

  validation {
    condition     = var.image == null || can(regex("^[^@]+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must name a digest: REGISTRY/PATH@sha256:<64 hex digits>, not a tag."
  }
}

variable "compute" {
  description = "Size and scaling of each instance, for either shape. concurrency is also the request thread count (THREADS)."
  type = object({
    # 1 vCPU: the least that serves concurrent requests, and that CPU-always-allocated needs.
    cpu = optional(string, "1")
    # 512Mi: room for the queue (PINTEREST_QUEUE_MAX events) and the Google client libraries.
    memory = optional(string, "512Mi")
    # 16: an awaited request mostly waits on Pinterest, so one vCPU serves many at once.
    concurrency = optional(number, 16)
    # 0: scale to zero when idle; raise it to avoid cold starts.
    min_instances = optional(number, 0)
    # 10: bounds spend; Pinterest's 5,000 calls per minute per account is the real ceiling.
    max_instances = optional(number, 10)
    # 60: awaited delivery answers within PINTEREST_AWAIT_DEADLINE_S (2.5 s by default).
    timeout_seconds = optional(number, 60)
  })
  default = {}

  validation {
    condition     = contains(["1", "2", "4", "8"], var.compute.cpu)
    error_message = "compute.cpu must be 1, 2, 4 or 8: concurrent requests and CPU always allocated need at least one whole vCPU."
  }
  validation {
    condition     = can(regex("^[1-9][0-9]*(Mi|Gi|M|G)$", var.compute.memory))
    error_message = "compute.memory must be a whole size with its unit, Mi, Gi, M or G, e.g. 512Mi or 2Gi."
  }
  validation {
    # Cloud Run's (and so a 2nd gen function's) memory range per CPU count, in MiB: 4 CPUs need at
    # least 2 GiB and 8 need 4 GiB; more than 4 GiB needs 2 CPUs, more than 8 GiB 4, more than 16 GiB 8.
    # terraform evaluates both sides of ||, so a malformed value (the rules above refuse it) is try()'s.
    condition = try(alltrue([
      for mib in [tonumber(regex("^[0-9]+", var.compute.memory)) * { Mi = 1, Gi = 1024, M = 1e6 / 1048576, G = 1e9 / 1048576 }[regex("[A-Za-z]+$", var.compute.memory)]] :
      mib >= { "1" = 128, "2" = 128, "4" = 2048, "8" = 4096 }[var.compute.cpu] && mib <= { "1" = 4096, "2" = 8192, "4" = 16384, "8" = 32768 }[var.compute.cpu]
    ]), true)
    error_message = "compute.memory does not fit compute.cpu: 1 CPU takes 128Mi to 4Gi, 2 CPUs 128Mi to 8Gi, 4 CPUs 2Gi to 16Gi, 8 CPUs 4Gi to 32Gi (Cloud Run's limits)."
  }
  validation {
    condition     = var.compute.concurrency >= 1 && var.compute.concurrency <= 1000
    error_message = "compute.concurrency must be between 1 and 1000."
  }
  validation {
    condition     = var.compute.min_instances >= 0 && var.compute.min_instances <= var.compute.max_instances
    error_message = "compute.min_instances must be between 0 and compute.max_instances."
  }
  validation {
    condition     = var.compute.timeout_seconds >= 1 && var.compute.timeout_seconds <= 3600
    error_message = "compute.timeout_seconds must be between 1 and 3600."
  }
}

variable "ingress" {
  # all: a server-side GTM container calls from outside the project's network.
  description = "Who may reach the URL at the network level: all, internal or internal-and-gclb."
  type        = string
  default     = "all"

  validation {
    condition     = contains(["all", "internal", "internal-and-gclb"], var.ingress)
    error_message = "ingress must be all, internal or internal-and-gclb."
  }
}

variable "body_timeout_s" {
  description = "Seconds a caller has to send its request body before a 408; null keeps the function's default."
  type        = number
  default     = null

  validation {
    condition     = var.body_timeout_s == null || coalesce(var.body_timeout_s, 1) > 0
    error_message = "body_timeout_s must be a positive number of seconds."
  }
}

variable "caller_auth" {
  description = "How callers prove who they are. keys: the URL is public and every request carries a key from the caller-keys secret (what sGTM tags can do). iam: the URL is private and callers send a Google-signed ID token as one of invoker_members."
  type        = string
  default     = "keys"

  validation {
    condition     = contains(["keys", "iam"], var.caller_auth)
    error_message = "caller_auth must be keys or iam."
  }
}

variable "invoker_members" {
  description = "With caller_auth = iam: the principals allowed to call, e.g. [\"serviceAccount:sgtm@PROJECT.iam.gserviceaccount.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = length(setintersection(var.invoker_members, ["allUsers", "allAuthenticatedUsers"])) == 0
    error_message = "invoker_members must name principals, not allUsers or allAuthenticatedUsers: use caller_auth = keys for a public URL."
  }
}

variable "pinterest" {
  description = "Instance-wide Pinterest settings (see the README configuration table); each one left null keeps the function's own default."
  type = object({
    api_url               = optional(string)
    event_name_setup      = optional(string)
    event_name            = optional(string)
    action_source         = optional(string)
    test_mode             = optional(bool)
    consent               = optional(string)
    partner_name          = optional(string)
    default_phone_country = optional(string)
    timeout_s             = optional(number)
    token_ttl_s           = optional(number)
  })
  default = {}

  validation {
    condition     = var.pinterest.event_name_setup == null || contains(["inherit", "standard", "custom"], coalesce(var.pinterest.event_name_setup, "-"))
    error_message = "pinterest.event_name_setup must be inherit, standard or custom."
  }
  validation {
    condition     = !contains(["standard", "custom"], coalesce(var.pinterest.event_name_setup, "inherit")) || can(regex("^[A-Za-z0-9_-]{1,100}$", coalesce(var.pinterest.event_name, "-!")))
    error_message = "pinterest.event_name is required (letters, digits, _ or -) when pinterest.event_name_setup is standard or custom; the function refuses to start without it."
  }
  validation {
    condition     = var.pinterest.action_source == null || contains(["web", "offline", "app_ios", "app_android"], coalesce(var.pinterest.action_source, "-"))
    error_message = "pinterest.action_source must be web, offline, app_ios or app_android."
  }
  validation {
    condition     = var.pinterest.consent == null || contains(["optional", "required"], coalesce(var.pinterest.consent, "-"))
    error_message = "pinterest.consent must be optional or required."
  }
}

variable "delivery" {
  description = <<-EOT
    How events reach Pinterest; each one left null keeps the function's own default. mode: awaited (the default: the caller gets Pinterest's answer), optimistic (answer 202 at once, send in batches; reliable between requests only with deploy_as = service, best-effort with function, whose CPU stops when no request is in flight) or pubsub (answer 202 once Pub/Sub holds the events; a drain delivers them in batches, retrying for hours: see var.pubsub).
  EOT
  type = object({
    mode             = optional(string)
    await_deadline_s = optional(number)
    batch_max        = optional(number)
    batch_wait_ms    = optional(number)
    max_attempts     = optional(number)
    queue_max        = optional(number)
    queue_max_bytes  = optional(number)
    # Counted from SIGTERM; Cloud Run kills the instance 10 s after it.
    shutdown_budget_s = optional(number)
  })
  default = {}

  validation {
    condition     = var.delivery.mode == null || contains(["awaited", "optimistic", "pubsub"], coalesce(var.delivery.mode, "-"))
    error_message = "delivery.mode must be awaited, optimistic or pubsub."
  }
  validation {
    condition     = var.delivery.batch_max == null || (coalesce(var.delivery.batch_max, 0) >= 1 && coalesce(var.delivery.batch_max, 0) <= 1000)
    error_message = "delivery.batch_max must be between 1 and 1000 (Pinterest's limit per call)."
  }
  validation {
    # The tag gives up first (Stape: 3 s by default), Cloud Run at compute.timeout_seconds.
    condition     = var.delivery.await_deadline_s == null || (coalesce(var.delivery.await_deadline_s, 0) > 0 && coalesce(var.delivery.await_deadline_s, 0) < var.compute.timeout_seconds)
    error_message = "delivery.await_deadline_s must be more than 0 and less than compute.timeout_seconds; keep it about 0.5 s under the calling tag's timeout (Stape: 3 s, Snowplow: 5 s by default)."
  }
  validation {
    condition     = var.delivery.shutdown_budget_s == null || (coalesce(var.delivery.shutdown_budget_s, 0) > 0 && coalesce(var.delivery.shutdown_budget_s, 0) <= 10)
    error_message = "delivery.shutdown_budget_s must be more than 0 and at most 10 seconds: Cloud Run kills the instance 10 s after SIGTERM."
  }
}

variable "log_console" {
  description = "Console log: no, debug (only requests that ask for it) or always; null keeps the function's default. Delivered, failed and dropped events are always logged, one line each."
  type        = string
  default     = null

  validation {
    condition     = var.log_console == null || contains(["no", "debug", "always"], coalesce(var.log_console, "-"))
    error_message = "log_console must be no, debug or always."
  }
}

variable "log_table" {
  description = "The BigQuery log table (one row per event per attempt). location null means region; batch_max and flush_ms null keep the function's defaults."
  type = object({
    dataset_id = optional(string, "pinterest_capi")
    table_id   = optional(string, "events")
    location   = optional(string)
    # 90 days: three months of history to answer "what happened to event X"; 0 keeps partitions forever.
    partition_expiration_days = optional(number, 90)
    batch_max                 = optional(number)
    flush_ms                  = optional(number)
  })
  default = {}

  validation {
    condition     = var.log_table.partition_expiration_days >= 0
    error_message = "log_table.partition_expiration_days must be 0 (keep forever) or more."
  }
  validation {
    # Lengths apart: terraform's regex() allows at most 1000 repetitions, so {1,1024} never matches.
    condition = (
      length(var.log_table.dataset_id) <= 1024 && can(regex("^[A-Za-z0-9_]+$", var.log_table.dataset_id))
      && length(var.log_table.table_id) <= 1024 && can(regex("^[A-Za-z0-9_-]+$", var.log_table.table_id))
    )
    error_message = "log_table.dataset_id must be 1 to 1024 letters, digits and underscores; table_id may also hold hyphens."
  }
}

variable "failure_alert" {
  description = "Alert when more than `threshold` events end failed or dropped within 5 minutes, to these Cloud Monitoring notification channels (projects/P/notificationChannels/ID). null: no alert (the log-based metric is still created)."
  type = object({
    # 10 per 5 minutes: more than a stray invalid event, less than an outage.
    threshold             = optional(number, 10)
    notification_channels = list(string)
  })
  default = null
}

variable "traffic_alert" {
  description = "Alert when an ad account that had deliveries has none for `minutes` (5 to 1410, Cloud Monitoring's longest absence window), to these notification channels (projects/P/notificationChannels/ID). null: no alert."
  type = object({
    # An hour: longer than a quiet spell of a small shop by day, short enough to lose little revenue.
    minutes               = optional(number, 60)
    notification_channels = list(string)
  })
  default = null

  validation {
    condition     = var.traffic_alert == null ? true : (floor(var.traffic_alert.minutes) == var.traffic_alert.minutes && var.traffic_alert.minutes >= 5 && var.traffic_alert.minutes <= 1410)
    error_message = "traffic_alert.minutes must be a whole number from 5 to 1410 (23.5 hours)."
  }
  validation {
    condition     = var.traffic_alert == null ? true : length(var.traffic_alert.notification_channels) > 0 && alltrue([for channel in var.traffic_alert.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "traffic_alert.notification_channels: at least one, each projects/PROJECT/notificationChannels/ID."
  }
}

variable "pinterest_auth_alert" {
  description = "Alert on any Pinterest 401 (after one token refresh) or 403: the token is revoked or may not send to the ad account. To these notification channels (projects/P/notificationChannels/ID). null: no alert."
  type = object({
    notification_channels = list(string)
  })
  default = null

  validation {
    condition     = var.pinterest_auth_alert == null ? true : length(var.pinterest_auth_alert.notification_channels) > 0 && alltrue([for channel in var.pinterest_auth_alert.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "pinterest_auth_alert.notification_channels: at least one, each projects/PROJECT/notificationChannels/ID."
  }
}

variable "error_ratio_alert" {
  description = "Alert when failed / (delivered + failed) events of an ad account exceed `threshold` (a fraction above 0 and below 1) over 15 minutes, to these notification channels (projects/P/notificationChannels/ID). null: no alert."
  type = object({
    # 5 %: well above the stray invalid event, well below an outage.
    threshold             = optional(number, 0.05)
    notification_channels = list(string)
  })
  default = null

  validation {
    condition     = var.error_ratio_alert == null ? true : (var.error_ratio_alert.threshold > 0 && var.error_ratio_alert.threshold < 1)
    error_message = "error_ratio_alert.threshold must be a fraction above 0 and below 1 (0.05 is 5 %)."
  }
  validation {
    condition     = var.error_ratio_alert == null ? true : length(var.error_ratio_alert.notification_channels) > 0 && alltrue([for channel in var.error_ratio_alert.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "error_ratio_alert.notification_channels: at least one, each projects/PROJECT/notificationChannels/ID."
  }
}

variable "build_service_account" {
  description = "Service account Cloud Build uses to build the function (projects/PROJECT/serviceAccounts/EMAIL); null uses the project's default. It needs roles/logging.logWriter, roles/artifactregistry.writer and roles/storage.objectViewer."
  type        = string
  default     = null
}

variable "enable_apis" {
  description = "Enable the APIs the gateway uses; false when the project's owner manages them."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the log table and the Cloud Run service, and keep the log dataset's tables on destroy. Set false (and apply) before removing the gateway."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every resource that takes them: at most 64, keys of 1 to 63 and values of 0 to 63 lowercase letters, digits, underscores or hyphens, keys starting with a letter (Google's label rules)."
  type        = map(string)
  default     = {}

  validation {
    # \p{Ll} and \p{Lo}: Google allows international lowercase letters too.
    condition = length(var.labels) <= 64 && alltrue([
      for key, value in var.labels :
      can(regex("^\\p{Ll}[\\p{Ll}\\p{Lo}\\p{N}_-]{0,62}$", key)) && can(regex("^[\\p{Ll}\\p{Lo}\\p{N}_-]{0,63}$", value))
    ])
    error_message = "labels: at most 64; each key 1 to 63 lowercase letters, digits, underscores or hyphens starting with a letter; each value 0 to 63 of the same characters."
  }
}
