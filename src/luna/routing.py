"""A router whose routes answer with and without a trailing slash (SPEC §1), no redirect."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


class LunaRouter(APIRouter):
    """`@router.get("/")` under prefix `/users` answers at `/users/` and `/users`;
    `@router.get("/{id}/edges")` at `.../edges` and `.../edges/`. Only the written form is in
    the OpenAPI schema."""

    def api_route(
        self, path: str, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        decorator = super().api_route(path, **kwargs)
        alias_path = path[:-1] if path.endswith("/") else f"{path}/"
        alias = super().api_route(alias_path, **{**kwargs, "include_in_schema": False})

        def register_both(func: Callable[..., Any]) -> Callable[..., Any]:
            alias(func)
            return decorator(func)

        return register_both
