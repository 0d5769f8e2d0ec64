"""Request-scoped access to what `create_app` built (settings, providers).

Cheap dependencies are `async def`: FastAPI runs sync ones in the thread pool, and a thread
hop per dependency costs more than the dependency itself.
"""

from typing import Annotated

from fastapi import Depends, Request

from luna.agent.providers.registry import ProviderRegistry
from luna.agent.tasks import BookingQueue
from luna.config import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_providers(request: Request) -> ProviderRegistry:
    providers: ProviderRegistry = request.app.state.providers
    return providers


ProvidersDep = Annotated[ProviderRegistry, Depends(get_providers)]


async def get_booking_queue(request: Request) -> BookingQueue:
    queue: BookingQueue = request.app.state.booking_queue
    return queue


BookingQueueDep = Annotated[BookingQueue, Depends(get_booking_queue)]
