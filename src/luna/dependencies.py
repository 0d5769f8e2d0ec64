"""Request-scoped access to what `create_app` built (settings, providers)."""

from typing import Annotated

from fastapi import Depends, Request

from luna.agent.providers.registry import ProviderRegistry
from luna.config import Settings


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_providers(request: Request) -> ProviderRegistry:
    providers: ProviderRegistry = request.app.state.providers
    return providers


ProvidersDep = Annotated[ProviderRegistry, Depends(get_providers)]
