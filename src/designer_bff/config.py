"""Configuration from the environment (and an optional .env file).

Every setting has an embedded default so `designer-bff serve` works with nothing set;
production refuses to start without a strong secret and PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message is shown to the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    app_env: Literal["development", "production", "test"] = "development"
    # Loopback unless told otherwise: a laptop run is not published on the network.
    host: str = "127.0.0.1"
    port: int = 5000
    # Worker and scheduler roles (no HTTP server of their own) serve Prometheus metrics on
    # HOST:METRICS_PORT when set; the API roles serve them at /metrics.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    data_dir: Path = Path("./var")

    database_url: str | None = None
    # PostgreSQL connections per process kept open, and how many more it may open under a
    # burst (closed again after use). Keep processes x (size + overflow) under the
    # server's max_connections (100 by default).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=20, ge=0)
    redis_url: str | None = None
    # Prefix for every Redis key and channel: lets several deployments (and tests) share one Redis.
    redis_prefix: str = "dbff:"

    jwt_secret: str | None = None
    jwt_algorithm: str = "HS256"
    access_token_ttl_s: int = 15 * 60
    # Seconds an API process trusts its memory that a login session still stands (0: ask
    # the database on every request). Revocations through the service reach every process
    # at once over Redis; this bounds only what bypasses it (an operator's SQL).
    session_cache_s: float = Field(default=30.0, ge=0)
    refresh_token_ttl_s: int = 30 * 24 * 3600

    # Throttling: attempts per key within a window that starts at the first one; each
    # attempt is reserved before the password is checked. Logins: one account from one
    # address, then failures from one address across accounts (password spraying).
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=15 * 60, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)
    login_address_window_s: int = Field(default=15 * 60, ge=1)
    # Wrong current passwords on POST /api/auth/change-password, per account.
    change_password_max_failures: int = Field(default=5, ge=1)
    change_password_window_s: int = Field(default=15 * 60, ge=1)
    # Registrations (successful or not) from one address.
    register_max_per_address: int = Field(default=10, ge=1)
    register_window_s: int = Field(default=60 * 60, ge=1)

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:5000", "http://localhost:5173"]
    )
    max_body_bytes: int = 12 * 1024 * 1024
    log_level: str = "INFO"
    log_json: bool = True

    media_dir: Path | None = None
    r2_endpoint: str | None = None
    r2_access_key_id: str | None = None
    r2_secret_access_key: str | None = None
    r2_bucket_name: str | None = None
    r2_cdn_url: str | None = None
    # None: "auto" for Cloudflare R2 endpoints, "us-east-1" for others.
    r2_region: str | None = None

    openai_api_key: str | None = None
    openai_base_url: str = "https://api.openai.com"
    google_api_key: str | None = None
    google_speech_base_url: str = "https://speech.googleapis.com"
    speech_provider: Literal["auto", "local", "openai", "google", "none"] = "auto"
    # The local recogniser: tiny.en (RTF ~0.2 on 2 cores) or base (more accurate, about
    # twice the CPU); bench/voice.py prints both on the machine at hand.
    whisper_model: Literal["tiny.en", "base"] = "tiny.en"
    speech_max_bytes: int = 10 * 1024 * 1024
    speech_max_seconds: float = 60.0
    # Commands the rule parser is unsure of get a second reading from an OpenAI chat model
    # (structured outputs, validated against the taxonomy; priced in the ledger): "auto"
    # when OPENAI_API_KEY is set, "openai" always (the key is then required), "rules"
    # never. The rules answer whenever the model fails.
    command_interpreter: Literal["auto", "rules", "openai"] = "auto"
    openai_chat_model: str = "gpt-4o-mini"
    # Seconds the model may take in all (one retry of a short rate limit included) before
    # the rules' reading is used.
    openai_chat_timeout_s: float = Field(default=10.0, gt=0)

    max_quantity_per_command: int = 100

    default_provider: str = "local-flats"
    # Remote image providers: a vendor's providers are offered only when its key is set
    # (OpenAI's when OPENAI_API_KEY is).
    replicate_api_token: str | None = None
    replicate_base_url: str = "https://api.replicate.com"
    stability_api_key: str | None = None
    stability_base_url: str = "https://api.stability.ai"
    # None: OPENAI_BASE_URL (set it to send images and text to different gateways).
    openai_images_base_url: str | None = None
    # One provider attempt, in seconds: a request, or a Replicate prediction from its
    # creation through polling to the downloaded image.
    provider_timeout_s: float = Field(default=120.0, gt=0)
    # Seconds between polls of an unfinished Replicate prediction, and between tries of a
    # failed download of a finished image.
    provider_poll_interval_s: float = Field(default=1.0, gt=0)
    # Replicate community models run by version id (replicate.com/<owner>/<name>/versions).
    replicate_real_esrgan_version: str = (
        "f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa"
    )
    replicate_gfpgan_version: str = (
        "0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c"
    )

    @field_validator(
        "replicate_api_token", "stability_api_key", "openai_images_base_url", mode="before"
    )
    @classmethod
    def _empty_provider_setting_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # A YAML of prices replacing entries of billing/prices.yaml (same shape).
    prices_file: Path | None = None
    image_size: int = 1024
    # Designs one worker process makes at once, per provider ({"local-flats": 2}).
    provider_concurrency: dict[str, int] = Field(default_factory=dict)
    # A claimed design whose worker stops renewing this lease goes back to pending.
    generation_lease_s: int = 60
    generation_max_attempts: int = 4
    generation_retry_base_s: float = 0.5
    # How often workers look for expired leases and stalled queues.
    generation_sweep_interval_s: float = 2.0
    generation_stall_after_s: float = 10.0

    # The Visual Descriptor API (remote VLT). Unset: the local analyzer.
    vlt_api_url: str | None = None
    vlt_api_key: str | None = None
    # Tried in order: the second is the fallback when the first fails.
    vlt_models: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["gemini", "openai"])
    vlt_timeout_s: float = Field(default=60.0, gt=0)
    # Analyses one worker process runs at once.
    analysis_concurrency: int = Field(default=2, ge=1)
    analysis_lease_s: int = Field(default=120, ge=5)
    analysis_max_attempts: int = Field(default=3, ge=1)
    # A portfolio upload: images (zip members included) and bytes per request.
    portfolio_max_files: int = Field(default=500, ge=1)
    portfolio_max_bytes: int = Field(default=500 * 1024 * 1024, ge=1)
    portfolio_max_file_bytes: int = Field(default=100 * 1024 * 1024, ge=1)

    # Learning from feedback. Feedback this many days old counts half as much.
    learning_half_life_days: float = Field(default=30.0, gt=0)
    # Share of open attributes drawn without the learned preferences (exploration).
    learning_explore: float = Field(default=0.1, ge=0, le=1)
    # A value's global figures are used for anyone else or shown only when at least this
    # many distinct designers contributed (k-anonymity).
    learning_k: int = Field(default=5, ge=2)
    # Pseudo-designs at the global rate a value starts from (cold start prior).
    learning_prior_strength: float = Field(default=6.0, ge=0)
    # Seconds a designer's learned figures are reused before being recomputed (feedback
    # clears them at once); global figures are refreshed this often too.
    learning_cache_s: float = Field(default=300.0, ge=0)
    global_learning_interval_s: float = Field(default=600.0, gt=0)

    # Nightly batches: the explore share of their learned preferences (higher than a
    # command's, so a night brings ideas the designer has not asked for yet), and how
    # often the scheduler looks for batches due and batches finished.
    nightly_explore: float = Field(default=0.3, ge=0, le=1)
    nightly_interval_s: float = Field(default=30.0, gt=0)

    # Daily backups by the scheduler role into BACKUP_DIR/<YYYY-MM-DD> (unset: none), at
    # BACKUP_TIME (HH:MM, UTC); dated backups older than BACKUP_RETENTION days are removed
    # once a new one has verified. BACKUP_PG_BIN_DIR: the folder of pg_dump / pg_restore
    # (unset: the installed ones matching the server's version).
    backup_dir: Path | None = None
    backup_time: str = "03:30"
    backup_retention: int = Field(default=7, ge=1)
    backup_pg_bin_dir: Path | None = None

    @field_validator("backup_dir", "backup_pg_bin_dir", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("backup_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hours, sep, minutes = value.partition(":")
        if not (
            sep and len(hours) == len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
        ) or not (int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"BACKUP_TIME: {value!r} is not a time of day written HH:MM (UTC)")
        return value

    # Days a deleted design stays restorable before its files and row are removed.
    deleted_image_grace_days: float = Field(default=7.0, ge=0)

    # Proxies (IPs or CIDRs) whose X-Forwarded-For/-Proto are believed. Empty: forwarded
    # headers are ignored, so a client cannot pick its own address (login throttling is
    # keyed on it).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            for item in value:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError as exc:
                    raise ValueError(
                        f"TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network"
                    ) from exc
        return value

    @field_validator("vlt_models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            for item in value:
                if item not in ("gemini", "openai"):
                    raise ValueError(f"VLT_MODELS: {item!r} is not gemini or openai")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Accept "a,b" in the environment as well as a JSON list.
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator(
        "database_url",
        "redis_url",
        "jwt_secret",
        "vlt_api_url",
        "vlt_api_key",
        "r2_endpoint",
        "r2_cdn_url",
        "openai_api_key",
        "google_api_key",
        "r2_bucket_name",
        "prices_file",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # -- derived -----------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The async driver URL for SQLAlchemy (postgres:// and sqlite:// are normalised)."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'designer_bff.db').resolve()}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    @property
    def media_root(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def uses_s3(self) -> bool:
        return bool(self.r2_endpoint and self.r2_bucket_name)

    def check_production(self) -> None:
        """Refuse unsafe production configuration with a message an operator can act on."""
        if not self.is_production:
            return
        problems = []
        if not self.jwt_secret or len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if not self.is_postgres:
            problems.append("DATABASE_URL must point at PostgreSQL (postgresql://...)")
        if problems:
            raise ConfigError("APP_ENV=production refuses to start: " + "; ".join(problems))

    def resolve_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept under the data folder (0600)."""
        if self.jwt_secret:
            return self.jwt_secret
        if self.is_production:
            self.check_production()
        path = self.data_dir / "jwt_secret"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            existing = path.read_text().strip()
        except FileNotFoundError:
            existing = ""
        if len(existing.encode()) >= MIN_SECRET_BYTES:
            return existing
        secret = secrets.token_urlsafe(48)
        # O_EXCL so two processes starting together cannot overwrite each other's secret.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        try:
            os.link(tmp, path)
        except FileExistsError:
            secret = path.read_text().strip()
        finally:
            tmp.unlink(missing_ok=True)
        os.chmod(path, 0o600)
        return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
