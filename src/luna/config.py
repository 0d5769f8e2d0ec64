"""Settings: the only module that reads the environment (and `.env`)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./luna.db"


def normalize_database_url(url: str) -> str:
    """Accept the common PostgreSQL spellings; psycopg 3 is always the driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like scheme://...")
    scheme = scheme.lower()
    if scheme in {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}:
        return f"postgresql+psycopg://{rest}"
    if scheme in {"sqlite", "sqlite+pysqlite"}:
        return f"sqlite://{rest}"
    raise ValueError(f"unsupported database scheme {scheme!r}: use sqlite:// or postgresql://")


class RecoSettings(BaseSettings):
    """SPEC §3 weights and constants; env vars are `LUNA_RECO_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="LUNA_RECO_", env_file=".env", extra="ignore")

    # Venue score
    spatial_decay_per_km: float = Field(0.3, ge=0)
    preference_per_positive: float = Field(0.5, ge=0)
    preference_dwell_seconds: float = Field(300.0, gt=0)
    venue_weight_spatial: float = 0.4
    venue_weight_preference: float = 0.4
    venue_weight_popularity: float = 0.2
    # People score
    direct_per_positive: float = Field(0.5, ge=0)
    direct_dwell_seconds: float = Field(300.0, gt=0)
    category_per_positive: float = Field(0.3, ge=0)
    category_dwell_seconds: float = Field(600.0, gt=0)
    people_weight_social: float = 0.6
    people_weight_direct: float = 0.25
    people_weight_category: float = 0.15


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    luna_env: Literal["development", "test", "production"] = "development"
    # Booking: provider used for venues that do not name one.
    luna_default_provider: str = "mock"
    reco: RecoSettings = Field(default_factory=RecoSettings)

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_default_database(self) -> bool:
        return self.database_url == normalize_database_url(DEFAULT_DATABASE_URL)


@lru_cache
def get_settings() -> Settings:
    return Settings()
