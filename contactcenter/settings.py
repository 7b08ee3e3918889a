"""Configuration from `CC_*` environment variables (and an optional `.env` file).

No secret has a default: database and Redis URLs may carry passwords, so they are required by
every command that needs them, except `contactcenter dev`, which starts embedded servers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contactcenter.media.outside import networks


class Settings(BaseSettings):
    """Everything a web or worker process reads at start."""

    model_config = SettingsConfigDict(env_prefix="CC_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL, e.g. postgresql://cc:secret@db:5432/cc"
    )
    redis_url: str | None = Field(default=None, description="Redis URL, e.g. redis://redis:6379/0")
    host: str = Field(default="127.0.0.1", description="address `serve` binds to")
    port: int = Field(default=8080, description="port `serve` binds to")
    public_url: str = Field(
        default="http://localhost:8080",
        description="how platforms reach this server; used to print webhook URLs",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        description="largest webhook/API body accepted; Meta sends up to 3 MB",
    )
    reopen_window_s: int = Field(
        default=72 * 3600,
        description="a message this long after a ticket was solved reopens it; later, a new ticket",
    )
    db_pool_max: int = Field(default=10, description="PostgreSQL connections per process")
    db_pool_warm: int = Field(
        default=10,
        ge=0,
        description="connections `serve` opens at start, each parsing the views' statements "
        "once (0: open them on demand)",
    )
    ingest_max_batch: int = Field(
        default=128, description="most webhook requests committed in one group transaction"
    )
    ingest_flushers: int = Field(
        default=3, description="group-commit transactions that may run at once per web process"
    )
    account_cache_s: float = Field(
        default=5.0, description="how long a web process trusts its copy of a channel account"
    )
    heartbeat_ttl_s: int = Field(
        default=60, description="an agent without a heartbeat for this long is set offline"
    )
    metrics_token: str | None = Field(
        default=None, description="if set, /metrics requires it as a bearer token"
    )
    graph_api_url: str = Field(
        default="https://graph.facebook.com/v21.0",
        description="Meta Graph API base URL (WhatsApp, Messenger, Instagram sends)",
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Telegram Bot API base URL"
    )
    twilio_api_url: str = Field(
        default="https://api.twilio.com", description="Twilio REST API base URL"
    )
    line_api_url: str = Field(default="https://api.line.me", description="LINE API base URL")
    x_api_url: str = Field(default="https://api.x.com", description="X API base URL")
    linkedin_api_url: str = Field(
        default="https://api.linkedin.com", description="LinkedIn API base URL"
    )
    google_business_url: str = Field(
        default="https://mybusiness.googleapis.com", description="Google Business Profile API"
    )
    google_certs_url: str = Field(
        default="https://www.googleapis.com/oauth2/v3/certs",
        description="Google's OIDC signing keys (JWKS)",
    )
    flickr_api_url: str = Field(default="https://api.flickr.com", description="Flickr API base URL")
    youtube_api_url: str = Field(
        default="https://www.googleapis.com", description="YouTube Data API base URL"
    )
    slack_api_url: str = Field(default="https://slack.com", description="Slack Web API base URL")
    slack_files_url: str = Field(
        default="https://files.slack.com", description="where Slack keeps shared files"
    )
    viber_api_url: str = Field(
        default="https://chatapi.viber.com", description="Viber REST API base URL"
    )
    send_timeout_s: float = Field(default=10.0, gt=0, description="one send attempt, at most")
    send_backoff_s: float = Field(
        default=2.0, gt=0, description="first retry delay; doubles per attempt (with jitter)"
    )
    smtp_port: int | None = Field(
        default=None, description="the built-in SMTP receiver's port (unset: no SMTP receiver)"
    )
    smtp_host: str = Field(default="127.0.0.1", description="address the SMTP receiver binds to")
    media_dir: Path = Field(default=Path(".cc/media"), description="where attachments are kept")
    trust_forwarded_for: bool = Field(
        default=False,
        description="behind a reverse proxy: take the client address from X-Forwarded-For "
        "(sign-in limits per address)",
    )
    media_s3_bucket: str | None = Field(
        default=None, description="keep attachments in this S3-compatible bucket, not media_dir"
    )
    media_s3_endpoint: str = Field(
        default="https://s3.amazonaws.com",
        description="S3 endpoint, e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000",
    )
    media_s3_region: str = Field(default="us-east-1", description="the bucket's region")
    media_s3_access_key: str | None = Field(default=None, description="S3 access key id")
    media_s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret key")
    media_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0, description="largest attachment")
    webchat_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        description="most bytes of files a web chat visitor sends with one message",
    )
    media_allowed_networks: str = Field(
        default="",
        description="private networks an attachment URL from a payload may reach, "
        "comma-separated (e.g. 10.8.0.0/16 for your own file server); otherwise only public "
        "addresses",
    )
    media_link_days: int = Field(
        default=7, gt=0, description="how long the link to a file an agent sent stays valid"
    )
    media_types: str = Field(
        default="image/*,audio/*,video/*,application/pdf,text/plain,text/csv,"
        "application/msword,application/vnd.openxmlformats-officedocument.*,application/zip",
        description="allowed attachment types, comma-separated (type/* for a family)",
    )
    x_ton_url: str = Field(
        default="https://ton.twitter.com", description="where X keeps DM media (OAuth 1.0a)"
    )
    line_data_url: str = Field(
        default="https://api-data.line.me", description="LINE content API base URL"
    )
    data_dir: Path = Field(
        default=Path(".cc"), description="where `contactcenter dev` keeps embedded PostgreSQL/Redis"
    )

    @field_validator("media_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            networks(value)
        except ValueError as exc:
            raise ValueError(f"CC_MEDIA_ALLOWED_NETWORKS: {exc}") from None
        return value

    @model_validator(mode="after")
    def _s3_complete(self) -> Settings:
        if self.media_s3_bucket and not (self.media_s3_access_key and self.media_s3_secret_key):
            raise ValueError(
                "CC_MEDIA_S3_BUCKET is set but CC_MEDIA_S3_ACCESS_KEY or CC_MEDIA_S3_SECRET_KEY "
                "is not: set both (the bucket's access key id and secret), or unset "
                "CC_MEDIA_S3_BUCKET to keep attachments in CC_MEDIA_DIR."
            )
        return self


def require(value: str | None, name: str) -> str:
    """Return a required URL setting or exit with a message naming the variable to set."""
    if not value:
        raise SystemExit(
            f"{name} is not set. Set it to your server's URL, or run `contactcenter dev`, "
            "which starts an embedded PostgreSQL and Redis."
        )
    return value
