"""A stand-in for the google, archive and time providers that serves their real schemas.

HashiCorp's own terraform runs `init`, `validate`, `plan` and `terraform test` against it
offline, so terraform core checks the module against the providers' schemas itself. The
provider side is generic: it plans the proposed state with every unset computed attribute
unknown, builds `archive_file` for real and refuses `apply`. It runs in its own venv
(.venv-standin) on the `tf` framework, which provides the go-plugin handshake, TLS and gRPC.
"""
