"""Settings: the only module that reads the environment (and `.env`)."""

from functools import lru_cache
from typing import Annotated, Literal

from limits import parse
from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./luna.db"
# Signs tokens in development and tests only: refused when LUNA_ENV=production.
DEVELOPMENT_JWT_SECRET = "luna-development-secret-not-for-production"
MIN_PRODUCTION_SECRET_LENGTH = 32


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
    # A mood (`vibe=` on GET /reco/venues/{user_id}): score = SPEC §3 score * ((1 - w) + w *
    # fit), fit = the mean of the venue's scores for the asked vibes
    # (luna.reco.ranking.blend_vibe). 0 ignores the mood; 1 ranks a venue that does not fit
    # at all last. 0.5 was chosen on the validation window of `luna eval --vibes`.
    vibe_weight: float = Field(0.5, ge=0, le=1)
    # The venue index reloads the catalog and popularity at the start of every window of this
    # many seconds (aligned to the clock, so every process uses the same window); 0 reloads
    # on every request (exact, slow at scale). Unset: 60 on PostgreSQL, 0 on SQLite (the
    # embedded single-process default with demo-sized data: every change shows at once).
    refresh_seconds: float | None = Field(None, ge=0, le=24 * 3600)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    luna_env: Literal["development", "test", "production"] = "development"
    # Tracing (luna.observability.tracing): spans go over OTLP/HTTP to this endpoint; off
    # (nothing instrumented) when unset.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "luna"
    # The demo web app's map (/app/, luna.webapp): a tile URL template such as
    # https://tile.example.org/{z}/{x}/{y}.png; unset, markers on a plain background.
    luna_map_tiles_url: str | None = None
    # Booking: provider used for venues that do not name one.
    luna_default_provider: str = "mock"
    # Tried in this order when the first choice has no availability (comma-separated).
    luna_fallback_providers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Retries of transient provider failures: attempts in all, exponential backoff with jitter.
    luna_booking_attempts: int = Field(4, ge=1, le=20)
    luna_booking_backoff_seconds: float = Field(0.2, ge=0)
    luna_booking_backoff_max_seconds: float = Field(5.0, ge=0)
    # The `http` provider (a partner speaking the Luna partner protocol); off when unset.
    luna_http_provider_url: str | None = None
    luna_http_provider_timeout_seconds: float = Field(5.0, gt=0, le=120)
    luna_http_provider_token: SecretStr | None = None
    # Faults of the mock provider (tests, demos).
    luna_mock_latency_ms: int = Field(0, ge=0, le=60_000)
    luna_mock_transient_failures: int = Field(0, ge=0)
    luna_mock_reject_reason: str | None = None
    # Booking jobs (luna/agent/tasks.py, luna/agent/worker.py).
    # How long POST /plans/{id}/confirm waits for the outcome before answering 202.
    luna_confirm_wait_seconds: float = Field(10.0, ge=0, le=300)
    # PostgreSQL connections of a server process's requests (docs/performance.md, "Connection
    # budget"): the pool, and how many more it may open for a burst.
    luna_db_pool_size: int = Field(10, ge=1, le=500)
    luna_db_pool_overflow: int = Field(5, ge=0, le=500)
    # The hot routes' work (luna.db.run_read_only / run_in_transaction: one thread hop each)
    # running at once per server process; more threads only contend for the GIL
    # (docs/performance.md, "Threads").
    luna_hot_route_threads: int = Field(8, ge=1, le=200)
    # `luna serve` runs booking jobs in-process; off leaves them to `luna worker` processes.
    luna_jobs_in_process: bool = True
    # Booking jobs run at once: by each server process (in-process), by each `luna worker`.
    # A job holds one connection while it books.
    luna_jobs_in_process_concurrency: int = Field(4, ge=1, le=1000)
    luna_worker_concurrency: int = Field(10, ge=1, le=1000)
    luna_worker_heartbeat_seconds: float = Field(10.0, gt=0)
    # A job whose worker has been silent this long is run again (the worker is taken as dead).
    luna_worker_stalled_seconds: float = Field(30.0, gt=0)
    # How often the sweep runs; an owed job out of the queue this long is queued again.
    luna_booking_sweep_seconds: float = Field(10.0, gt=0)
    luna_booking_redeliver_seconds: float = Field(30.0, ge=0)
    # Authentication (SPEC §7): on unless LUNA_AUTH=off; never off in production.
    luna_auth: bool = True
    luna_jwt_secret: SecretStr | None = None
    # When set, tokens must carry this `aud` (Supabase issues "authenticated").
    luna_jwt_audience: str | None = None
    luna_token_ttl_minutes: int = Field(24 * 60, ge=1, le=366 * 24 * 60)
    # Seconds `luna serve` lets in-flight requests finish after SIGTERM.
    luna_shutdown_grace_seconds: int = Field(30, ge=0)
    # Abuse limits.
    luna_max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    luna_write_rate_limit: str = "600/minute"
    luna_rate_limit_storage: str = "memory://"
    # Venue recommendations: the SPEC §3 heuristic, or the ranker `luna train` writes (a
    # missing or broken model file means a logged warning and the heuristic).
    luna_venue_model: Literal["heuristic", "learned"] = "heuristic"
    luna_venue_model_path: str = "models/venue_ranker.json"
    # The service's clock for recommendations (luna.clock): recency counts from a request's
    # `at`, else from this time when set (ISO-8601 with an offset), else from the wall clock.
    luna_clock: AwareDatetime | None = None
    reco: RecoSettings = Field(default_factory=RecoSettings)
    # Experiments (luna.experiments): each process reads the running experiments again this
    # often (seconds; an experiment created or stopped through another process shows within
    # it; 0: only this process's own creates and stops, for one process and the tests), and
    # writes the exposures it buffered this often, in one batch.
    luna_experiments_refresh_seconds: float = Field(1.0, ge=0, le=3600)
    luna_experiments_flush_seconds: float = Field(0.5, gt=0, le=60)
    # Exposures held while the database cannot take them; beyond, the oldest are dropped.
    luna_experiments_buffer_max: int = Field(100_000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("luna_write_rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like '600/minute': {value!r}") from exc
        return value

    @field_validator("luna_fallback_providers", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _heartbeat_before_stall(self) -> "Settings":
        if self.luna_worker_stalled_seconds <= self.luna_worker_heartbeat_seconds:
            raise ValueError(
                "LUNA_WORKER_STALLED_SECONDS must be longer than LUNA_WORKER_HEARTBEAT_SECONDS "
                "(else a live worker's jobs would be taken for dead ones)"
            )
        return self

    @model_validator(mode="after")
    def _secure_in_production(self) -> "Settings":
        if self.luna_env != "production":
            return self
        if not self.luna_auth:
            raise ValueError("LUNA_AUTH=off is refused when LUNA_ENV=production")
        secret = self.luna_jwt_secret.get_secret_value() if self.luna_jwt_secret else ""
        if len(secret) < MIN_PRODUCTION_SECRET_LENGTH or secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError(
                f"LUNA_JWT_SECRET must be set to a secret of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when LUNA_ENV=production"
            )
        return self

    @property
    def jwt_secret(self) -> str:
        """The configured secret, or the development one (never in production, see above)."""
        if self.luna_jwt_secret is not None:
            return self.luna_jwt_secret.get_secret_value()
        return DEVELOPMENT_JWT_SECRET

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def venue_index_refresh_seconds(self) -> float:
        if self.reco.refresh_seconds is not None:
            return self.reco.refresh_seconds
        return 0.0 if self.is_sqlite else 60.0

    @property
    def uses_default_database(self) -> bool:
        return self.database_url == normalize_database_url(DEFAULT_DATABASE_URL)


@lru_cache
def get_settings() -> Settings:
    return Settings()
