"""Retries of transient provider failures: exponential backoff with jitter (tenacity)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from luna.agent.providers.base import ProviderUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_seconds: float = 0.2
    backoff_max_seconds: float = 5.0

    def call(self, operation: Callable[[], T], on_failure: Callable[[Exception], None]) -> T:
        """Run `operation`; a ProviderUnavailable is reported to `on_failure` and retried.

        The last one is re-raised when every attempt failed. Anything else (a rejection) is
        not retried.
        """

        def report(state: RetryCallState) -> None:
            if state.outcome is not None and state.outcome.failed:
                on_failure(state.outcome.exception())  # type: ignore[arg-type]

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.backoff_seconds, max=self.backoff_max_seconds
            ),
            retry=retry_if_exception_type(ProviderUnavailable),
            after=report,
            reraise=True,
        )
        return retrying(operation)
