"""The HTTP stack of a run: client construction and the middleware transports (cache -> retry ->
rate limit -> deadline -> network), with the budget record, circuit breaker and metrics."""
