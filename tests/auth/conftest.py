"""The same app with authentication on (SPEC §7), and tokens for a small cast."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from luna.auth.tokens import issue_token
from luna.config import RecoSettings, Settings

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture
def auth_settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        luna_env="test",
        luna_auth=True,
        luna_jwt_secret=SECRET,
        luna_write_rate_limit="1000000/minute",
        reco=RecoSettings(refresh_seconds=0),  # as tests/conftest.py's settings
        luna_experiments_refresh_seconds=0,
    )


@pytest.fixture
def auth_client(auth_settings: Settings, app_cache) -> Iterator[TestClient]:
    with TestClient(app_cache.app(auth_settings)) as client:
        yield client


@dataclass
class Tokens:
    settings: Settings

    def user(self, user_id: str | uuid.UUID) -> dict[str, str]:
        return bearer(issue_token(self.settings, uuid.UUID(str(user_id))))

    def admin(self, user_id: uuid.UUID | None = None) -> dict[str, str]:
        return bearer(issue_token(self.settings, user_id or uuid.uuid4(), admin=True))

    def expired(self, user_id: str | uuid.UUID) -> dict[str, str]:
        token = issue_token(self.settings, uuid.UUID(str(user_id)), ttl=timedelta(seconds=-5))
        return bearer(token)

    def forged(self, user_id: str | uuid.UUID) -> dict[str, str]:
        """Right claims, signed with another secret (what an attacker can make)."""
        payload = jwt.decode(
            issue_token(self.settings, uuid.UUID(str(user_id)), admin=True),
            options={"verify_signature": False},
        )
        return bearer(jwt.encode(payload, "not-the-secret-but-long-enough-0123456789", "HS256"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(auth_settings: Settings) -> Tokens:
    return Tokens(auth_settings)
