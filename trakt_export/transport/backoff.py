"""Our own wait between two tries (SPEC §2 `backoff`, `initial_backoff_seconds`,
`backoff_factor`, `max_backoff_seconds`): the strategy's envelope, then full jitter, capped.

Before try n+1 (n = 1, 2, ...) the envelope is
    exponential  initial x factor^(n-1)      (tenacity's wait_exponential)
    linear       initial x n                 (tenacity's wait_incrementing)
    constant     initial                     (tenacity's wait_fixed)
and the wait is uniform in [0, min(envelope, cap)] (full jitter). Tenacity has full jitter only
for the exponential strategy, so one small wait adds it over any envelope.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Literal

from tenacity.wait import wait_base, wait_exponential, wait_fixed, wait_incrementing

if TYPE_CHECKING:
    from tenacity import RetryCallState

Strategy = Literal["exponential", "linear", "constant"]
STRATEGIES: tuple[Strategy, ...] = ("exponential", "linear", "constant")


def envelope(strategy: str, initial: float, factor: float, cap: float) -> wait_base:
    """The strategy's deterministic wait before the next try, already capped at `cap`."""
    initial, cap = max(float(initial), 0.0), max(float(cap), 0.0)
    if strategy == "exponential":
        return wait_exponential(multiplier=initial, exp_base=max(float(factor), 1.0), max=cap)
    if strategy == "linear":
        return wait_incrementing(start=initial, increment=initial, max=cap)
    if strategy == "constant":
        return wait_fixed(min(initial, cap))
    raise ValueError(f"backoff must be one of {', '.join(STRATEGIES)}, not {strategy!r}")


class wait_full_jitter(wait_base):  # named like tenacity's own waits
    """Uniform in [0, min(envelope, cap)] ("full jitter"); `rng` is injectable for tests."""

    def __init__(self, inner: wait_base, cap: float, rng: random.Random | None = None) -> None:
        self.inner = inner
        self.cap = max(float(cap), 0.0)
        self.rng = rng or random.Random()

    def bound(self, retry_state: RetryCallState) -> float:
        return min(float(self.inner(retry_state)), self.cap)

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.rng.uniform(0.0, self.bound(retry_state))


def backoff_wait(
    strategy: str,
    initial: float,
    factor: float,
    cap: float,
    rng: random.Random | None = None,
) -> wait_full_jitter:
    """The configured wait: `strategy`'s envelope with full jitter, capped at `cap`."""
    return wait_full_jitter(envelope(strategy, initial, factor, cap), cap, rng)
