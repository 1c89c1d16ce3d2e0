"""One settings object: environment variables `RETOUCH_*`, then an optional `retouch.toml`.

Secrets (S3 keys and the like) are read by boto3 from its own environment/config, never from
here, so that they cannot end up in logs or results.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.limits import Limits
from config.model_config import DEFAULT_MODEL, ModelConfig
from config.thresholds import (
    EXPECTED_BAD_RATE,
    REVIEWER_HOUR_USD,
    REVIEWER_MINUTES,
    WRONG_PUBLISH_USD,
    Publishing,
    Thresholds,
    publish_threshold,
)

OutputFormat = Literal["same", "jpeg", "png", "webp"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETOUCH_", toml_file="retouch.toml", extra="ignore")

    # inputs
    max_pixels: int = Field(
        100_000_000,
        description="largest input image (pixels); above it the "
        "file is refused as a possible decompression bomb",
    )
    max_file_bytes: int = Field(200 * 1024 * 1024, description="largest input file")
    max_output_pixels: int = Field(Limits.max_output_pixels, description="largest image an edit may produce")
    max_side: int = Field(Limits.max_side, description="longest side an edit may produce")
    max_instruction_chars: int = Field(
        Limits.max_instruction_chars, description="longest instruction accepted"
    )

    # outputs
    output_format: OutputFormat = Field("same", description="format of edited images")
    jpeg_quality: int = Field(95, ge=1, le=100)
    webp_quality: int = Field(95, ge=1, le=100)
    png_compression: int = Field(3, ge=0, le=9)
    keep_exif: bool = Field(True, description="copy EXIF (orientation reset, GPS removed)")

    # execution
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, description="threads running OpenCV chunks at once"
    )
    chunk_size: int = Field(
        0,
        ge=0,
        description="images per OpenCV task; 0 picks one (about four chunks per worker, 8-64 images each)",
    )

    # the image model (Qwen-Image-Edit-2509)
    model: str = Field(
        DEFAULT_MODEL,
        description="hub id (read from the local "
        "Hugging Face cache) or a folder holding the diffusers weights",
    )
    model_download: bool = Field(False, description="allow downloading the weights at load time")
    lora: str | None = Field(
        None, description="LoRA to fuse (hub id or folder), e.g. lightx2v/Qwen-Image-Lightning"
    )
    lora_weight_name: str | None = Field(
        None,
        description="file inside the LoRA repo, e.g. "
        "Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16.safetensors",
    )
    model_steps: int | None = Field(
        None, ge=1, description="denoising steps (default 40, or the Lightning LoRA's 4/8)"
    )
    model_true_cfg_scale: float | None = Field(
        None, description="true CFG scale (default 4.0, 1.0 with a Lightning LoRA)"
    )
    model_negative_prompt: str = " "
    model_placement: Literal["auto", "gpu", "model_offload", "group_offload", "cpu"] = "auto"
    attention_backend: str | None = Field(
        None, description="diffusers attention backend, e.g. _flash_3 on Hopper"
    )
    model_compile: bool = Field(False, description="torch.compile the transformer's blocks")
    second_opinion: Literal["auto", "on", "off"] = Field(
        "auto",
        description="ask the pipeline's vision-language model whether each model edit did what was "
        "asked (a veto towards review, never a pass alone): auto = only where the model runs on a GPU",
    )
    model_candidates: int = Field(
        2,
        ge=1,
        le=8,
        description="model outputs tried per item: when "
        "one fails the checks another seed is tried; the first that passes "
        "is published, else all go to review",
    )
    model_seed: int | None = Field(
        None, description="fixed seed for every model edit (default: derived from the image and the prompt)"
    )
    model_worker: Literal["in-process", "task-worker"] = Field(
        "in-process",
        description="run model edits in the flow's process, or hand them to a "
        "GPU task worker (`retouch serve --gpu`) that keeps the pipeline loaded",
    )
    model_stall_seconds: float = Field(
        900,
        gt=0,
        description="with task-worker: when no model edit sent to the GPU workers has ended for "
        "this long, the ones out are sent again (a worker died), once; after a second stall they fail",
    )

    # post-checks and the publish/review decision
    check_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="overrides of config.thresholds.Thresholds, e.g. "
        '{"max_shift_px": 3} (JSON in the environment, a table in retouch.toml)',
    )
    always_review_tags: list[str] = Field(
        default_factory=lambda: ["key-asset"],
        description="items whose `tags` column holds one of these always go to a person",
    )
    review_all_model_edits: bool = Field(False, description="send every model edit to review")
    review_timeout_seconds: int = Field(
        7 * 24 * 3600, description="how long a review waits for a decision before its run fails (recorded)"
    )
    review_page_url: str | None = Field(
        "http://127.0.0.1:8765",
        description="where `retouch review serve` runs: linked from the Prefect UI form",
    )
    review_token: str | None = Field(
        None, description="token the review page asks for (secret: environment only)"
    )
    review_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="one token per reviewer, name -> token (JSON in the environment); the "
        "reviewer's name then comes from the token, not from the form (secret: environment only)",
    )
    review_link_key: str | None = Field(
        None,
        description="key that signs the expiring links of the Prefect form (default: derived "
        "from the review token(s)) (secret: environment only)",
    )
    review_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]"],
        description="Host names the review page answers to (DNS rebinding): add the name it is served under",
    )

    # AI-content labels on model outputs (GB 45438 implicit label)
    aigc_producer: str = Field("Retouch", description="ContentProducer: the provider's name or code")
    aigc_propagator: str | None = Field(
        None, description="ContentPropagator (default: the producer, a shop publishing its own images)"
    )

    aigc_visible_mark: bool = Field(
        False, description="draw 'AI生成' in a corner of model outputs (GB 45438 explicit label)"
    )
    aigc_mark_font: str | None = Field(
        None,
        description="font with Chinese glyphs for the "
        "visible mark (default: WenQuanYi/Noto CJK if installed)",
    )
    c2pa_cert: Path | None = Field(
        None,
        description="PEM chain (end-entity first, then its "
        "CA) to sign model outputs with C2PA; off when unset",
    )
    c2pa_key: Path | None = Field(None, description="PEM private key (EC P-256) of c2pa_cert")

    # storage
    s3_endpoint_url: str | None = Field(
        None, description="endpoint of an S3-compatible store (MinIO, moto, R2...); unset: AWS S3"
    )
    s3_profile: str | None = Field(
        None,
        description="where S3 credentials come from: this profile of ~/.aws (default: boto3's "
        "chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment or .env, ~/.aws, an "
        "instance role)",
    )

    # uploads
    upload_out_uri: str | None = Field(
        None, description="where on-upload writes (default s3://<the upload's bucket>/retouch-out)"
    )
    upload_lease_seconds: float = Field(
        900,
        gt=0,
        description="how long an upload's claim holds; a holder that died (SIGKILL, a lost "
        "node) gives the upload up once it expires (longer than the longest edit)",
    )
    upload_watch: list[Annotated[str, Field(pattern=r"^(s3://[^/]+/?.*|https?://\S+)$")]] = Field(
        default_factory=list,
        description="upload sources `make up` watches, one `retouch watch` process each: SQS queue "
        'URLs (https://...) and s3://bucket/prefix to poll (JSON: ["s3://shop/incoming/"])',
    )
    upload_max_attempts: int = Field(3, ge=1, description="tries per upload before it is recorded failed")
    upload_retry_seconds: float = Field(60, gt=0, description="back-off before the first retry (then x2)")

    # callbacks
    webhook_url: str | None = Field(
        None, description="POSTed a signed JSON when a batch ends and when a reviewer decides"
    )
    webhook_secret: str | None = Field(
        None, description="HMAC-SHA256 key of the signature header (secret: environment only)"
    )

    # marketplace presets
    presets_file: Path = Field(
        Path("presets.toml"),
        description="the user's presets (adding to or replacing the shipped ones by name)",
    )

    # the warm local daemon of `retouch edit` / `retouch run`
    daemon_idle_seconds: float = Field(
        600,
        ge=0,
        description="the daemon that keeps Prefect and OpenCV loaded for later commands exits after "
        "this long without work; 0: no daemon (each command starts and imports everything itself)",
    )

    # the HTTP API (`retouch api`)
    api_rate_per_minute: int = Field(120, ge=1, description="requests per minute a key may make")
    api_daily_usd: float | None = Field(
        None, description="what a key may spend a day (USD; a key's own quota wins); unset: no quota"
    )
    api_max_body_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="largest request body (413 above it, before reading it)"
    )
    api_workers: int = Field(2, ge=1, description="threads running the API's queued jobs")
    api_job_lease_seconds: float = Field(
        60,
        gt=0,
        description="a running job whose API process has not beaten its heart for this long is "
        "taken back: run again (once), or failed with why",
    )
    api_allow_private_urls: bool = Field(
        False,
        description="let image URLs name loopback/private addresses (off: a request cannot make "
        "the server fetch from its own network)",
    )
    api_model_load_estimate_seconds: float = Field(
        60, description="estimated_time of a 503 while the model loads (until one load was timed)"
    )

    # the ledger and the price model (USD)
    data_dir: Path = Field(
        Path("~/.retouch").expanduser(), description="where the default SQLite ledger lives"
    )
    db_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the ledger (default: "
        "SQLite in data_dir; postgresql+psycopg://... for PostgreSQL)",
    )
    price_version: str = Field("2026-11", description="name of this price model, kept per row")
    cpu_core_hour_usd: float = Field(0.04, description="price of one CPU core for an hour")
    gpu_hour_usd: float = Field(
        2.5, description="price of one GPU-hour when its type is not listed in gpu_hour_usd_by_type"
    )
    gpu_hour_usd_by_type: dict[str, float] = Field(
        default_factory=lambda: {"H100": 2.5, "H200": 3.5, "A100": 1.6, "L40S": 1.0, "A10": 0.6},
        description="GPU-hour prices, matched against the device name",
    )
    reviewer_hour_usd: float = Field(REVIEWER_HOUR_USD, description="price of one hour of a person's review")
    reviewer_minutes_per_item: float = Field(
        REVIEWER_MINUTES, description="a reviewer's working time per decision (what a review costs)"
    )
    expected_bad_rate: float = Field(
        EXPECTED_BAD_RATE,
        gt=0,
        lt=1,
        description="the share of model edits that are wrong before any check: the gate's risk "
        "(calibrated on a corpus of as many good edits as bad) is moved to this rate",
    )
    wrong_publish_usd: float = Field(
        WRONG_PUBLISH_USD,
        description="what a wrong published image costs (returns, complaints, a re-shoot, a flagged "
        "listing); with a review's price it sets the gate's publish threshold (a preset may set its own)",
    )
    hosted_edit_usd: float = Field(
        0.03,
        description="a hosted AI edit API, per image (DashScope qwen-image-edit-plus ~0.028, fal.ai 0.03/MP)",
    )
    hosted_transform_usd: float = Field(
        0.0004, description="a hosted basic transform, per image (Cloudinary)"
    )
    budget_timezone: str = Field(
        "Asia/Shanghai",
        description="where the GPU budget's day starts at midnight (the time zone "
        "of prefect.yaml's schedules)",
    )
    daily_gpu_budget_usd: float | None = Field(
        None, description="model edits stop for the day once this much GPU money is spent (deferred)"
    )

    @property
    def ledger_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'retouch.db'}"

    def gpu_price(self, device_name: str | None) -> float:
        """USD per GPU-hour of this device (matched by name), else the default GPU price."""
        for gpu_type, price in self.gpu_hour_usd_by_type.items():
            if device_name and gpu_type.lower() in device_name.lower():
                return price
        return self.gpu_hour_usd

    def cpu_usd(self, cpu_s: float) -> float:
        """The price of `cpu_s` CPU-core seconds (every CPU price is computed here)."""
        return round(cpu_s * self.cpu_core_hour_usd / 3600, 8)

    def gpu_usd(self, gpu_s: float, device_name: str | None) -> float:
        """The price of `gpu_s` seconds of this GPU."""
        return round(gpu_s * self.gpu_price(device_name) / 3600, 6)

    def review_usd(self) -> float:
        """The price of one review decision (a person's working minutes)."""
        return self.reviewer_minutes_per_item / 60 * self.reviewer_hour_usd

    def publish_threshold(self, wrong_publish_usd: float | None = None) -> float:
        """The gate publishes an edit whose risk is below this (config/thresholds.py)."""
        wrong = self.wrong_publish_usd if wrong_publish_usd is None else wrong_publish_usd
        return publish_threshold(self.review_usd(), wrong)

    def publishing(self, wrong_publish_usd: float | None = None) -> Publishing:
        """How the gate decides with these costs and this expected rate of wrong edits."""
        return Publishing(self.publish_threshold(wrong_publish_usd), self.expected_bad_rate)

    @property
    def qwen_config(self) -> ModelConfig:
        return ModelConfig(
            model=self.model,
            allow_download=self.model_download,
            lora=self.lora,
            lora_weight_name=self.lora_weight_name,
            steps=self.model_steps,
            true_cfg_scale=self.model_true_cfg_scale,
            negative_prompt=self.model_negative_prompt,
            placement=self.model_placement,
            attention_backend=self.attention_backend,
            compile=self.model_compile,
        )

    @property
    def thresholds(self) -> Thresholds:
        unknown = set(self.check_thresholds) - set(Thresholds.__dataclass_fields__)
        if unknown:
            raise ValueError(f"RETOUCH_CHECK_THRESHOLDS: unknown checks {sorted(unknown)}")
        return Thresholds(**self.check_thresholds)

    def review_rule(self, tags: list[str]) -> str | None:
        """The configured rule that sends an item with these tags to review whatever the
        checks say."""
        hit = sorted(set(tags) & set(self.always_review_tags))
        if hit:
            return f"always reviewed: tagged {', '.join(hit)}"
        return None

    @property
    def limits(self) -> Limits:
        return Limits(
            max_output_pixels=self.max_output_pixels,
            max_side=self.max_side,
            max_instruction_chars=self.max_instruction_chars,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ):
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_path()))


def toml_path() -> Path:
    """The settings file: RETOUCH_CONFIG, else retouch.toml in the current folder."""
    return Path(os.environ.get("RETOUCH_CONFIG", "retouch.toml"))


@cache
def get_settings() -> Settings:
    """Settings of this process (read once)."""
    return Settings()
