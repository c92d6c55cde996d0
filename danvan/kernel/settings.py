"""One settings object, read from DANVAN_* environment variables and an optional .env file.

Every secret can also be given as a file (``DANVAN_SECRET_KEY_FILE=/run/secrets/key``), which is
how container orchestrators hand secrets over.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

# The demo runs with this key; anywhere else it is refused (see `resolve_secret_key`).
DEMO_SECRET_KEY = "demo-secret-key-change-me"  # noqa: S105
_SECRET_FIELDS = (
    "secret_key",
    "zalo_oa_secret_key",
    "zalo_app_secret_key",
    "zalo_bot_token",
    "zalo_bot_secret",
)


class SettingsError(Exception):
    """The configuration cannot be used; the message says what to set."""


def default_database_url() -> str:
    return f"sqlite:///{Path('var/danvan.db').resolve()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DANVAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(default_factory=default_database_url)
    # Signs session cookies. Empty: the demo uses DEMO_SECRET_KEY; a single-machine SQLite
    # deployment generates one beside its database; PostgreSQL (several machines) must set it.
    secret_key: str = ""
    demo: bool = False
    # Province served by this deployment (vietnam-provinces code); 8 = Tuyên Quang.
    province: int = 8
    timezone: str = "Asia/Ho_Chi_Minh"
    # Start the clock at this instant and let it run (a demo or a test run at a fixed date);
    # empty: the system clock. See danvan.kernel.clock.
    clock_start: datetime | None = None
    # The address citizens and staff reach this deployment at (https://…): links sent to
    # citizens, and cookies are `Secure` when it is https. Required outside the demo
    # (`require_base_url`); the default only serves the demo and tests.
    base_url: str = "http://127.0.0.1:8000"
    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, JSON list or comma
    # separated): the client is the right-most address of the chain that is not one of them.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"]
    )

    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: str = ""  # verifies X-ZEvent-Signature
    zalo_app_secret_key: str = ""  # `secret_key` header of the OAuth token endpoint
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_bot_token: str = ""
    zalo_bot_secret: str = ""
    zalo_bot_api_base: str = "https://bot-api.zaloplatforms.com"
    # Template messages (ZNS, "ZBS Template Message"; zalo.md §5): sent with the OA's token to a
    # citizen's phone once Zalo's 48 h / 7 day messaging window has closed.
    zalo_zns_api_base: str = "https://business.openapi.zalo.me"
    # "phone": POST {zns base}/message/template by phone (documented, [MED]); "user_id": POST
    # {OA base}/v3.0/oa/message/template by OA user id (UNCONFIRMED in zalo.md). Citizens with no
    # OA user id (web form) always go by phone. The worker logs which one it uses.
    zalo_zns_send_by: str = "phone"
    # Development mode: `"mode": "development"` on every template message (Zalo then delivers
    # only to the OA's admins), for trying templates before going live.
    zalo_zns_development: bool = False
    # Estimated price of one template message (VND), shown before bulk sends when the template's
    # own price (read by `danvan zalo templates sync`) is unknown.
    zalo_zns_price_vnd: int = 300
    # Freshness of a signed OA webhook event (its `timestamp`): older ones are acknowledged and
    # dropped (Zalo retries a failing webhook for up to ~12 h with the same event, zalo.md §2);
    # ones further in the future than the skew are refused so that Zalo tries them again.
    zalo_oa_webhook_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    zalo_oa_webhook_max_skew_seconds: int = Field(default=5 * 60, ge=0)

    # When a Zalo citizen's first message names no commune, ask them at once (one automatic
    # message per citizen). Off by default: staff can ask from the conversation instead.
    ask_commune_automatically: bool = False
    # Sessions expire after this many minutes of inactivity.
    session_minutes: int = 8 * 60
    # ... and this many hours after sign-in however busy they are (then sign in again).
    session_max_age_hours: int = Field(default=7 * 24, ge=1)
    # Outbound HTTP timeout to platforms, seconds.
    http_timeout: float = 10.0
    # Outbox: attempts before a transient failure becomes final.
    outbox_max_attempts: int = 8
    # Web form limits.
    webform_max_text: int = 4000
    webform_max_photo_bytes: int = 5 * 1024 * 1024
    webform_per_hour: int = 10
    # Legacy: photos are kept in the database (kernel/media_store.py); this folder is only read
    # by `danvan media import` (and erasure removes a citizen's old files from it).
    media_dir: str = "var/media"
    # The topic taxonomy (danvan.kernel.taxonomy): a JSON file replacing the default, or "".
    topics_file: str = ""

    # --- Cases (danvan.cases) ---
    # Case codes: <prefix>-<yymm>-<sequence>, e.g. TQ-2611-0042 (the province's abbreviation).
    case_code_prefix: str = "TQ"
    # The status lifecycle, as JSON: [{"code", "vi", "en", "kind": open|answered|closed,
    # "public": bool, "needs_reason": bool}]; the first is the status of a new case. Empty: the
    # default (received → assigned → in_progress → answered → closed, transferred, duplicate,
    # declined); see danvan.cases.rules.DEFAULT_STATUSES.
    case_statuses: list[dict[str, Any]] = Field(default_factory=list)
    # Working-day SLA per category: {"<topic code>|default": [acknowledge, answer]}.
    case_sla: dict[str, list[int]] = Field(default_factory=dict)
    # Days off and compensatory working days announced by the government, beyond `holidays`.
    case_extra_days_off: list[date] = Field(default_factory=list)
    case_extra_working_days: list[date] = Field(default_factory=list)
    # The citizen may reopen an answered case within this many days.
    case_reopen_days: int = 10
    # Reminders this many hours before a case is due.
    case_remind_hours: int = 24

    # --- Outreach (danvan.outreach.broadcasts, consultations, polls) ---
    # Broadcast messages per second across all workers (Zalo allows about 4,000 calls/min).
    outreach_rate_per_second: int = Field(default=40, ge=1)
    # No non-urgent broadcast is sent between these local hours (Asia/Ho_Chi_Minh).
    outreach_quiet_start_hour: int = 22
    outreach_quiet_end_hour: int = 6
    # Estimated cost (VND) of one CS message sent between 48 h and 7 days after the last
    # interaction (charged against the OA package quota); shown in the audience preview.
    outreach_paid_message_vnd: int = 50
    # Broadcast deliveries queued ahead of sending per broadcast (bounds what a pause holds back).
    outreach_queue_ahead: int = 200
    # Consultation documents (PDF/DOCX) and resident-list uploads.
    outreach_max_document_bytes: int = 10 * 1024 * 1024

    # --- Training (issue 6) ---
    # The check-in QR code changes every this many seconds; the current and the previous code
    # are accepted, so a photo of it is useless a minute later.
    training_qr_seconds: int = 30
    # A quiz submitted this long after its time limit (network, a slow phone) is still graded.
    training_quiz_grace_seconds: int = 10
    # Partial credit for multiple-choice questions of new quizzes: proportional | all_or_nothing.
    training_partial_credit: str = "proportional"
    # Most trainees one XLSX import may hold.
    training_import_max_rows: int = 2000

    # --- The official heading of reports and minutes (kernel/letterhead.py, Decree 30/2020) ---
    # The deployment's issuing body for reports not of one officer's commune; empty: derived
    # (the province's People's Committee for admins, the Ban Tuyên giáo và Dân vận of the
    # provincial Party committee for officers of several communes). Each can be changed at export.
    report_issuer: str = Field(default="", max_length=120)
    report_superior: str = Field(default="", max_length=120)
    report_symbol: str = Field(default="", max_length=30)  # "BC-UBND"
    report_place: str = Field(default="", max_length=60)  # "Tuyên Quang"
    # Lines separated by "|": "TM. ỦY BAN NHÂN DÂN|CHỦ TỊCH"; "- Như trên;|- Lưu: VT."
    report_signer_title: str = Field(default="", max_length=250)
    report_signer_name: str = Field(default="", max_length=80)
    report_recipients: str = Field(default="", max_length=2000)

    # --- Opinion classifiers (danvan.opinion.labels, danvan.nlp.classifiers) ---
    # Trained model sets live in the database (danvan.opinion.model_store). This folder is only
    # where sets were kept before (imported at first use, or by `danvan model import`) and the
    # encoder's embedding cache; nothing in it is needed by another machine.
    analysis_models_dir: str = "var/models"
    # Messages classified per batch of the worker's analysis job.
    analysis_batch_size: int = 200
    # Off: the worker does not classify (messages wait; `danvan analyze` still works).
    analysis_enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in _SECRET_FIELDS:
                path = os.environ.get(f"DANVAN_{name.upper()}_FILE")
                if path and not data.get(name):
                    data[name] = Path(path).read_text(encoding="utf-8").strip()
        return data

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in re.split(r"[,\s]+", text) if part]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or CIDR: {entry!r}") from None
        return value

    def require_base_url(self) -> str:
        """The public base URL; outside the demo it must have been set (DANVAN_BASE_URL), since
        links sent to citizens and the cookies' Secure flag depend on it."""
        if not self.demo and "base_url" not in self.model_fields_set:
            raise SettingsError(
                "DANVAN_BASE_URL must be set to the address citizens and staff use "
                "(e.g. https://danvan.example.vn): links sent to citizens are built from it and "
                "session cookies are Secure only when it is https"
            )
        if not self.base_url.startswith(("https://", "http://")):
            raise SettingsError("DANVAN_BASE_URL must start with https:// (or http://)")
        return self.base_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def masked_database_url(self) -> str:
        """The database URL with its password hidden, for logs and the CLI."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def sqlite_path(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)

    def resolve_secret_key(self) -> str:
        """The key that signs sessions; refuses placeholders outside the demo."""
        if self.demo and not self.secret_key:
            return DEMO_SECRET_KEY
        if self.secret_key:
            if not self.demo and (self.secret_key == DEMO_SECRET_KEY or len(self.secret_key) < 16):
                raise SettingsError(
                    "DANVAN_SECRET_KEY is the demo placeholder or shorter than 16 characters"
                )
            return self.secret_key
        db_file = self.sqlite_path()
        if db_file is None:
            raise SettingsError(
                "DANVAN_SECRET_KEY must be set (the same value on every web process) "
                "when the database is not a local SQLite file"
            )
        key_file = db_file.with_name(db_file.name + ".secret_key")
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return key_file.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
