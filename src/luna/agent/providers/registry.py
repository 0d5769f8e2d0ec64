"""Which provider books which venue."""

from luna.agent.providers.base import BookingProvider
from luna.agent.providers.mock import MockProvider
from luna.config import Settings


class ProviderRegistry:
    def __init__(self, providers: dict[str, BookingProvider], default: str) -> None:
        if default not in providers:
            raise ValueError(f"default booking provider {default!r} is not configured")
        self._providers = providers
        self.default = default

    def get(self, name: str | None) -> BookingProvider:
        """The named provider, or the default when the venue names none (or an unknown one)."""
        return self._providers.get(name or self.default) or self._providers[self.default]


def build_registry(settings: Settings) -> ProviderRegistry:
    return ProviderRegistry({"mock": MockProvider()}, default=settings.luna_default_provider)
