"""What happened to each event: the journal, console lines, the log table and its stores, scrubbing."""
