"""Which provider books which venue."""

from typing import TYPE_CHECKING

from luna.agent.providers.base import BookingProvider
from luna.agent.providers.http import HttpProvider
from luna.agent.providers.mock import MockProvider
from luna.agent.retry import RetryPolicy
from luna.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


class UnknownProvider(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"booking provider {name!r} is not configured")


class ProviderRegistry:
    def __init__(
        self,
        providers: dict[str, BookingProvider],
        default: str,
        retry: RetryPolicy | None = None,
        fallbacks: tuple[str, ...] = (),
    ) -> None:
        for name in (default, *fallbacks):
            if name not in providers:
                raise ValueError(f"booking provider {name!r} is not configured")
        self._providers = providers
        self.default = default
        self.retry = retry or RetryPolicy()
        self.fallbacks = fallbacks

    def candidates(self, first: str | None) -> list[BookingProvider]:
        """The venue's provider (or the default), then the configured fallbacks, once each."""
        chosen = self.get(first)
        return [chosen, *(self._providers[n] for n in self.fallbacks if n != chosen.name)]

    def get(self, name: str | None) -> BookingProvider:
        """The named provider, or the default when the venue names none.

        An unknown name is a configuration error, not a reason to book elsewhere quietly.
        """
        try:
            return self._providers[name or self.default]
        except KeyError:
            raise UnknownProvider(name or "") from None


def build_registry(
    settings: Settings, tracer_provider: "TracerProvider | None" = None
) -> ProviderRegistry:
    """The configured providers; with a tracer provider, the HTTP partner's calls are traced."""
    mock = MockProvider(
        latency_ms=settings.luna_mock_latency_ms,
        transient_failures=settings.luna_mock_transient_failures,
        reject_reason=settings.luna_mock_reject_reason,
    )
    retry = RetryPolicy(
        attempts=settings.luna_booking_attempts,
        backoff_seconds=settings.luna_booking_backoff_seconds,
        backoff_max_seconds=settings.luna_booking_backoff_max_seconds,
    )
    providers: dict[str, BookingProvider] = {"mock": mock}
    if settings.luna_http_provider_url:
        token = settings.luna_http_provider_token
        http = HttpProvider(
            settings.luna_http_provider_url,
            timeout_seconds=settings.luna_http_provider_timeout_seconds,
            token=token.get_secret_value() if token else None,
        )
        if tracer_provider is not None:
            from luna.observability.tracing import instrument_http_client

            instrument_http_client(http.client, tracer_provider)
        providers["http"] = http
    return ProviderRegistry(
        providers,
        default=settings.luna_default_provider,
        retry=retry,
        fallbacks=tuple(settings.luna_fallback_providers),
    )
