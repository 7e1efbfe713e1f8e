"""One module per command's orchestration (export, lists, backup, doctor, login) and the run's
plumbing written once (session: credentials, client, source, lock; report)."""
