"""The one Settings class: every field is documented and read from a QC_* variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quancheng.errors import ConfigurationError

# Values that must never protect a real deployment's sessions and tokens.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "quancheng", "demo"})


class Settings(BaseSettings):
    """Configuration of one Quancheng city; each field maps to a QC_<NAME> variable."""

    model_config = SettingsConfigDict(env_prefix="QC_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("./quancheng-data"),
        description="Directory holding the city's files: SQLite and DuckDB databases, keys, "
        "demo accounts.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database. Default: SQLite file "
        "`quancheng.sqlite3` in the data dir. PostgreSQL: "
        "`postgresql+psycopg://user:password@host/db`.",
    )
    datastore_url: str | None = Field(
        default=None,
        description="URL of the tabular datastore. Default: DuckDB file `datastore.duckdb` in "
        "the data dir.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr("change-me"),
        description="Secret that keys anonymous visitors' CSRF tokens, the pseudonyms of "
        "masked columns and the encrypted `_next` cursors of the rows API. "
        "Must be a long random value outside demo mode; placeholders are rejected.",
    )
    demo_mode: bool = Field(
        default=False,
        description="Demo mode: accepts the placeholder secret key and shows demo banners. "
        "Set by `quancheng demo`.",
    )
    host: str = Field(default="127.0.0.1", description="Address `quancheng serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `quancheng serve` uses.")
    default_locale: Literal["zh_CN", "en"] = Field(
        default="zh_CN", description="Language of the web pages when the visitor chose none."
    )
    city_name: str = Field(default="济南市", description="The city's name in Chinese.")
    city_name_en: str = Field(default="Jinan", description="The city's name in English.")
    public_catalog: bool = Field(
        default=True,
        description="Whether published catalog metadata (never the data) may be read without "
        "logging in.",
    )
    session_hours: int = Field(
        default=8, ge=1, le=720, description="Hours a web login session stays valid."
    )
    login_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Failed logins allowed per user name and per client address in the window "
        "before further attempts are refused.",
    )
    login_window_seconds: int = Field(
        default=300, ge=1, description="Length of the login rate-limiting window in seconds."
    )
    token_days: int = Field(
        default=365, ge=1, le=3650, description="Default validity of a new API token in days."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark session cookies Secure (set this when serving over HTTPS).",
    )
    # Datastore
    ingest_invalid_rows: Literal["reject", "quarantine"] = Field(
        default="reject",
        description="What a load does with rows that fail validation against the entry's data "
        "items: `reject` refuses the whole file, `quarantine` loads the valid rows and keeps "
        "the invalid ones in the error report.",
    )
    upload_max_bytes: int = Field(
        default=8 * 1024**3,
        ge=1,
        description="Largest data file accepted by an upload, in bytes.",
    )
    keep_data_versions: int = Field(
        default=5,
        ge=1,
        description="Data versions of a dataset kept in the datastore for history and rollback; "
        "older ones are dropped (their record stays).",
    )
    sql_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time limit of one read-only SQL query, in seconds."
    )
    sql_max_rows: int = Field(
        default=10_000, ge=1, description="Most rows one read-only SQL query returns."
    )
    datastore_memory_mib: int = Field(
        default=1024,
        ge=64,
        description="Memory the embedded DuckDB datastore may use, in MiB; beyond it DuckDB "
        "spills to a temporary file beside the database.",
    )
    ledger_suite: Literal["sha256-ed25519", "sm3-sm2"] = Field(
        default="sha256-ed25519",
        description="Algorithms of the ledger: `sha256-ed25519` (tree hash SHA-256, log key "
        "Ed25519) or `sm3-sm2` (the national algorithms SM3 and SM2). Fixed by the first event.",
    )
    ledger_origin: str | None = Field(
        default=None,
        description="Origin line of the ledger's checkpoints and name of its key. Default: "
        "`<city_name_en in lowercase>.quancheng/ledger`.",
    )
    checkpoint_interval_seconds: int = Field(
        default=300,
        ge=0,
        description="Age after which a read of the latest checkpoint signs a new one, if the "
        "ledger grew since; checkpoints are also issued on demand.",
    )
    # Sharing exchange
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The city's time zone (IANA name): working days and deadlines end at "
        "midnight there.",
    )
    sharing_compliance_check: bool = Field(
        default=True,
        description="Whether the platform authority checks submitted requests for compliance "
        "(符合性审查) before they reach the providing department.",
    )
    sharing_compliance_days: int = Field(
        default=2,
        ge=1,
        description="Working days the platform authority has for a compliance check.",
    )
    sharing_provider_days: int = Field(
        default=10,
        ge=1,
        description="Working days a providing department has to answer a request (also each "
        "round of negotiation); local rules use 5, 10 or 15.",
    )
    sharing_coordination_days: int = Field(
        default=10,
        ge=1,
        description="Working days the platform authority has to decide a coordinated case.",
    )
    sharing_dispute_days: int = Field(
        default=5,
        ge=1,
        description="Working days a providing department has to answer a data dispute (疑义校核).",
    )
    sharing_subscription_days: int = Field(
        default=365,
        ge=1,
        description="Validity of a subscription to an unconditional entry, in days.",
    )
    sharing_max_period_days: int = Field(
        default=1095, ge=1, description="Longest period a request or grant may ask for, in days."
    )
    sharing_extra_holidays: str = Field(
        default="",
        description="Comma-separated dates (YYYY-MM-DD) that are not working days in addition to "
        "the built-in national calendar: local holidays, or next year's schedule before the "
        "calendar package knows it.",
    )
    sharing_extra_workdays: str = Field(
        default="",
        description="Comma-separated dates (YYYY-MM-DD) that are working days although the "
        "built-in calendar says otherwise (调休 weekends it does not know yet).",
    )
    sharing_access_flush_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Reads through grants are recorded in the ledger in batches; the longest a "
        "record waits before its batch is written, in seconds.",
    )
    open_index_weights: str = Field(
        default="",
        description="Weights of the open-data index self-assessment as JSON, e.g. "
        '`{"layers": {"data": 0.4}, "indicators": {"timeliness": 2}}`; the index changes its '
        "weights every year. Empty: the built-in weights.",
    )
    portal_usage_flush_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Views, downloads and API calls of open entries are counted in memory and "
        "added to the database at least this often, in seconds.",
    )
    portal_submissions_per_hour: int = Field(
        default=10,
        ge=1,
        description="Data requests, comments, error reports and reuses one public user may submit "
        "in an hour.",
    )
    portal_registrations_per_hour: int = Field(
        default=5,
        ge=1,
        description="Public accounts one client address may register in an hour.",
    )
    harvest_timeout_seconds: float = Field(
        default=20.0, gt=0, description="Timeout of each request to a harvested portal, in seconds."
    )
    harvest_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest response accepted from a harvested portal, in bytes.",
    )
    harvest_max_datasets: int = Field(
        default=5000, ge=1, description="Most datasets one harvest run imports from a source."
    )
    mqtt_url: str = Field(
        default="",
        description="MQTT broker the platform subscribes to for device telemetry and publishes "
        "commands on, e.g. `mqtt://user:password@127.0.0.1:1883`. Empty: HTTP ingestion only.",
    )
    city_latitude: float = Field(
        default=36.6512, ge=-90, le=90, description="The city's latitude, for sunset and sunrise."
    )
    city_longitude: float = Field(
        default=117.1201,
        ge=-180,
        le=180,
        description="The city's longitude, for sunset and sunrise.",
    )
    telemetry_raw_days: int = Field(
        default=90, ge=1, description="Days raw telemetry is kept (roll-ups are kept longer)."
    )
    telemetry_future_seconds: int = Field(
        default=300,
        ge=0,
        description="How far in the future an observedAt may lie (device clocks drift) before "
        "the observation is refused.",
    )
    scheduler: bool = Field(
        default=True,
        description="Run periodic work and the MQTT bridge inside `quancheng serve`: harvests, "
        "the sharing sweep, offline checks, lighting schedules, command retries, telemetry "
        "roll-ups and retention, sensor open data. One worker per data dir runs them (a lock "
        "file); with several machines on one database, leave it on in one and false elsewhere.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to read `/metrics` "
        "(`Authorization: Bearer <token>`). Empty: only signed-in platform administrators may "
        "read the metrics.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Format of the server's log lines: `text` for people, `json` (one object "
        "per line with the request id) for log collectors.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses of the reverse proxies (nginx) in front of `quancheng serve`, "
        "comma-separated, e.g. `127.0.0.1`: their `X-Forwarded-For` names the client's "
        "address (login and portal limits count per client, not per proxy) and "
        "`X-Forwarded-Proto` the scheme of links. Empty: forwarded headers are ignored. "
        "Cookies are marked Secure by `QC_SECURE_COOKIES`, never by a header.",
    )

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if not self.demo_mode and self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ConfigurationError(
                "QC_SECRET_KEY is a placeholder; set a long random value "
                "(for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)",
                details={"setting": "QC_SECRET_KEY"},
            )
        if len(self.secret_key.get_secret_value()) < 16 and not self.demo_mode:
            raise ConfigurationError(
                "QC_SECRET_KEY must be at least 16 characters long",
                details={"setting": "QC_SECRET_KEY"},
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The metadata database URL, defaulting to SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'quancheng.sqlite3').resolve()}"

    @property
    def resolved_ledger_origin(self) -> str:
        """The ledger's origin line, defaulting to one named after the city."""
        if self.ledger_origin:
            return self.ledger_origin
        city = "".join(c for c in self.city_name_en.lower() if c.isalnum() or c in "-.") or "city"
        return f"{city}.quancheng/ledger"

    @property
    def resolved_datastore_url(self) -> str:
        """The datastore URL, defaulting to DuckDB in the data dir."""
        if self.datastore_url:
            return self.datastore_url
        return f"duckdb:///{(self.data_dir / 'datastore.duckdb').resolve()}"
