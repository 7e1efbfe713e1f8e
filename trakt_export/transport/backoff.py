"""Our own wait between two tries (SPEC §2 `backoff`, `initial_backoff_seconds`,
`backoff_factor`, `max_backoff_seconds`): the strategy's envelope, capped, then full jitter.

Before try n+1 (n = 1, 2, ...) the envelope is
    exponential  initial x factor^(n-1)
    linear       initial x n
    constant     initial
and the wait is uniform in [0, min(envelope, cap)] (full jitter). Pure arithmetic: the random
draw in [0, 1) is an argument, so `policy.decide` stays a function of its inputs. (Tenacity's
own waits take a retry state and have full jitter for the exponential strategy only; these
three lines are the whole of it.)
"""

from __future__ import annotations

import math
from typing import Literal

Strategy = Literal["exponential", "linear", "constant"]
STRATEGIES: tuple[Strategy, ...] = ("exponential", "linear", "constant")


def bound(strategy: str, initial: float, factor: float, cap: float, n: int) -> float:
    """The longest own wait before try n+1: the strategy's envelope, capped at `cap`."""
    initial, cap, n = max(float(initial), 0.0), max(float(cap), 0.0), max(int(n), 1)
    if strategy == "exponential":
        try:
            envelope = initial * max(float(factor), 1.0) ** (n - 1)
        except OverflowError:  # a huge max_attempts: the cap has long been reached
            envelope = math.inf if initial > 0 else 0.0
    elif strategy == "linear":
        envelope = initial * n
    elif strategy == "constant":
        envelope = initial
    else:
        raise ValueError(f"backoff must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    return min(envelope, cap)


def full_jitter(longest: float, draw: float) -> float:
    """Uniform in [0, longest] for a uniform `draw` in [0, 1)."""
    return longest * min(max(draw, 0.0), 1.0)
