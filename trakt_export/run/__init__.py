"""One module per command's orchestration (export, lists, backup, doctor, login) and the run's
plumbing written once (lifecycle: timer, metrics, lock, loop; session: credentials, client, the
API-or-ZIP source; report)."""
