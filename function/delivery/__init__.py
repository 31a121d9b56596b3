"""Getting built events to Pinterest: the HTTP client, retries, awaited and optimistic sending, replay."""
