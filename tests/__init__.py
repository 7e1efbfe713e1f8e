"""The test suite (a package so tests can share helper modules such as tests.procs)."""
