"""Which provider books which venue."""

from luna.agent.providers.base import BookingProvider
from luna.agent.providers.mock import MockProvider
from luna.config import Settings


class UnknownProvider(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"booking provider {name!r} is not configured")


class ProviderRegistry:
    def __init__(self, providers: dict[str, BookingProvider], default: str) -> None:
        if default not in providers:
            raise ValueError(f"default booking provider {default!r} is not configured")
        self._providers = providers
        self.default = default

    def get(self, name: str | None) -> BookingProvider:
        """The named provider, or the default when the venue names none.

        An unknown name is a configuration error, not a reason to book elsewhere quietly.
        """
        try:
            return self._providers[name or self.default]
        except KeyError:
            raise UnknownProvider(name or "") from None


def build_registry(settings: Settings) -> ProviderRegistry:
    return ProviderRegistry({"mock": MockProvider()}, default=settings.luna_default_provider)
