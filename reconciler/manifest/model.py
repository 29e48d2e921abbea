"""The manifest kinds as strict pydantic models: Deployment, OverridePreset, Settings, Environment.

Pure. These models are the single source of the manifest format: the loader validates documents
with them and ``comfyops schema`` generates the JSON Schemas in ``schemas/`` from them. Unknown
keys are errors (``extra="forbid"``): a misspelt key would otherwise be a silent no-op. Field names
inside ``spec`` are the RunComfy API's own. Every model is frozen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StringConstraints,
    Tag,
    model_validator,
)

from reconciler import catalog
from reconciler.manifest.scalars import StrictBool, StrictInt, StrictNumber

API_VERSION = "comfyops/v1"
KINDS = ("Deployment", "OverridePreset", "Settings", "Environment")

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
NAME_RULE = (
    "1-100 characters: letters, digits, '-', '_' and '.', starting with a letter or digit "
    "(names are matched by --target and prune globs, written into file names by import and into "
    "Markdown tables, so glob characters, '/', '|', spaces and backticks are not allowed)"
)

Hardware = Literal["TURING_16", "AMPERE_24", "AMPERE_48", "ADA_48_PLUS", "AMPERE_80", "ADA_80_PLUS", "HOPPER_141"]
assert set(Hardware.__args__) == set(catalog.HARDWARE_SKUS)  # type: ignore[attr-defined]

ManagedField = catalog.ManagedField
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
NodeId = Annotated[str, StringConstraints(min_length=1)]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
OutputChannel = Literal["images", "gifs", "videos", "audio", "text", "files"]
Price = Annotated[StrictNumber, Field(ge=0)]
MediaFormat = Literal["png", "jpeg", "webp", "gif", "mp4", "webm"]
DEFAULT_MAX_HASH_DISTANCE = 12
"""``max_hash_distance`` when unset (bits of 64), chosen from the measurements in the README's "Golden outputs"."""
DEFAULT_MIN_SSIM = 0.75
"""``min_ssim`` when unset, chosen from the measurements in the README's "Golden outputs"."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Metadata(_Strict):
    """Identity of a document: its name, and for deployments an optional pinned id and former names."""

    name: Name = Field(description=f"Unique name of this object among all manifests. {NAME_RULE}.")


class DeploymentMetadata(Metadata):
    """A deployment's identity: the RunComfy name, an optional pinned UUID, names it had before."""

    id: str | None = Field(
        default=None,
        description="Pin this manifest to an existing deployment UUID (needed when two live deployments share a name).",
    )
    previous_names: list[Name] = Field(
        default_factory=list,
        description="Names this deployment had before; a live deployment under one of them is renamed (PATCH), "
        "never deleted and re-created.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Free key/value labels; not sent to RunComfy, but visible to policies (input.manifests).",
    )


class NodeOverride(_Strict):
    """The inputs to set on one workflow node, as the API's ``overrides`` takes them."""

    inputs: dict[str, JsonValue] = Field(
        description="Input name -> value (scalars, https URLs or data: URIs for media)."
    )


Overrides = dict[NodeId, NodeOverride]


class ChannelExpectation(_Strict):
    """What one output channel (images, gifs, text, ...) of one node must hold."""

    count: StrictInt | None = Field(default=None, ge=0, description="Exact number of items.")
    min_count: StrictInt | None = Field(default=None, ge=0, description="At least this many items.")
    max_count: StrictInt | None = Field(default=None, ge=0, description="At most this many items.")
    format: MediaFormat | None = Field(default=None, description="File format, checked from the bytes' signature.")
    min_width: StrictInt | None = Field(default=None, ge=1)
    max_width: StrictInt | None = Field(default=None, ge=1)
    min_height: StrictInt | None = Field(default=None, ge=1)
    max_height: StrictInt | None = Field(default=None, ge=1)
    non_empty: StrictBool | None = Field(default=None, description="For text: every item has non-blank text.")
    similar_to: str | None = Field(
        default=None, min_length=1,
        description="A golden picture (PNG, relative to this manifest's folder) every item must look like: "
        "perceptual hashes and SSIM within the tolerances below; record it with comfyops smoke --update-goldens.",
    )
    max_hash_distance: StrictInt | None = Field(
        default=None, ge=0, le=64,
        description="With similar_to: the largest pHash/dHash distance allowed (bits of 64; default "
        f"{DEFAULT_MAX_HASH_DISTANCE}).",
    )
    min_ssim: StrictNumber | None = Field(
        default=None, ge=-1, le=1, description="With similar_to: the lowest structural similarity allowed (default "
        f"{DEFAULT_MIN_SSIM}).",
    )

    @model_validator(mode="after")
    def _bounds_ordered(self) -> ChannelExpectation:
        for low, high in (("min_count", "max_count"), ("min_width", "max_width"), ("min_height", "max_height")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is greater than {high} ({hi})")
        if self.count is not None and (self.min_count is not None or self.max_count is not None):
            raise ValueError("use either count or min_count/max_count, not both")
        if self.similar_to is None and (self.max_hash_distance is not None or self.min_ssim is not None):
            raise ValueError("max_hash_distance and min_ssim are tolerances of similar_to; add similar_to")
        return self


class SmokeExpectation(_Strict):
    """What a smoke test's run must produce."""

    status: Literal["succeeded", "failed", "cancelled"] = Field(
        default="succeeded", description="The result status the run must end with."
    )
    max_duration_seconds: StrictNumber | None = Field(
        default=None, gt=0, description="Fail when the run (submit to result) took longer than this."
    )
    outputs: dict[NodeId, dict[OutputChannel, ChannelExpectation]] = Field(
        default_factory=dict,
        description="Per output node id: per channel, what it must hold. Channels as ComfyUI reports them: "
        "SaveImage, PreviewImage, SaveAnimatedWEBP, SaveAnimatedPNG, SaveWEBM and SaveVideo -> images (the animated "
        "ones with animated: [true]); VHS_VideoCombine -> gifs; SaveAudio and the other audio savers -> audio; "
        "PreviewAny and ShowText -> text.",
    )


class SmokeSpec(_Strict):
    """A sample request to submit after a change, and what its result must look like."""

    preset: Name | None = Field(default=None, description="An OverridePreset by name.")
    overrides: Overrides | None = Field(default=None, description="Inline overrides, applied after the preset's.")
    extra_data: dict[str, JsonValue] | None = Field(
        default=None,
        description='Passed as the request\'s extra_data (e.g. {"api_key_comfy_org": "${COMFY_ORG_KEY}"}).',
    )
    timeout_seconds: StrictInt = Field(
        default=600, ge=1, le=86400, description="Cancel and fail the test after this long."
    )
    cleanup: StrictBool = Field(default=True, description="Delete the request's stored inputs and outputs afterwards.")
    free_memory_after: StrictBool = Field(
        default=False,
        description="After the outputs are checked, free the instance that served the request (ComfyUI api/free: "
        "unload models, free memory) so the next real request starts clean; a failed free is only a warning.",
    )
    expect: SmokeExpectation = Field(default_factory=SmokeExpectation)


def expiry_instant(until: str) -> datetime:
    """The instant an ``until`` stops holding, in UTC: a date holds through that whole day (UTC), a date
    and time (``2026-12-31T18:00Z``; no zone means UTC) until that moment."""
    text = until.strip()
    if "T" not in text and " " not in text:
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC) + timedelta(days=1)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _valid_instant(value: str) -> str:
    try:
        expiry_instant(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date (2026-12-31) or a date and time (2026-12-31T18:00Z)"
        ) from None
    return value


_INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
Instant = Annotated[str, AfterValidator(_valid_instant), Field(json_schema_extra={"pattern": _INSTANT_PATTERN})]


class IgnoreRule(_Strict):
    """One ``ignore_changes`` entry with an expiry: the field is left alone until then, and counts again after."""

    field: ManagedField = Field(description="The managed field whose live value is left alone.")
    until: Instant | None = Field(
        default=None,
        description="Date (holds through that day, UTC) or date and time (2026-12-31T18:00Z) after which the "
        "field counts again and reports say the rule expired.",
    )
    reason: str | None = Field(default=None, description="Why the field is ignored (shown when the rule expires).")


def _ignore_entry_kind(value: Any) -> str:
    return "rule[mapping]" if isinstance(value, dict | IgnoreRule) else "field[string]"


IgnoreEntry = Annotated[
    Annotated[ManagedField, Tag("field[string]")] | Annotated[IgnoreRule, Tag("rule[mapping]")],
    Discriminator(_ignore_entry_kind),
]
"""A field name, or a rule with ``until``/``reason``; only the branch its shape picks is checked, so a bad rule
gets one message (bracketed tags are dropped from error paths)."""


class RolloutSpec(_Strict):
    """How a change of workflow version (or workflow) reaches the live deployment."""

    strategy: Literal["direct", "candidate"] = Field(
        default="direct",
        description="direct: PATCH the live deployment (RunComfy rolls it out). candidate: first smoke-test the new "
        "version on a temporary paused-when-idle (min_instances: 0) copy, and switch only if that passes "
        "(needs spec.smoke; apply --candidate asks for it on every such change).",
    )


class DeploymentSpec(_Strict):
    """Desired settings of one RunComfy deployment; omitted fields take Settings.defaults, then the API's."""

    workflow_id: str = Field(min_length=1, description="The RunComfy workflow's id. Create-only: changing it replaces.")
    workflow_version: str = Field(min_length=1, description="The workflow version to serve, e.g. v3.")
    workflow_file: str | None = Field(
        default=None,
        description="That version's workflow_api.json, relative to this manifest, for offline checks of presets.",
    )
    hardware: Hardware | None = Field(default=None, description="GPU SKU (default AMPERE_48).")
    min_instances: StrictInt | None = Field(
        default=None, ge=0, le=30, description="Warm instances kept (billed) while idle."
    )
    max_instances: StrictInt | None = Field(default=None, ge=1, le=60, description="Upper bound of instances.")
    queue_size: StrictInt | None = Field(default=None, ge=1, description="Queued requests per instance before scaling.")
    keep_warm_duration_in_seconds: StrictInt | None = Field(
        default=None, ge=0, description="Idle seconds before scale-down."
    )
    is_enabled: StrictBool | None = Field(default=None, description="false pauses the deployment (default true).")
    state: Literal["present", "absent"] = Field(default="present", description="absent: delete it if it exists.")
    protect: StrictBool = Field(default=False, description="Refuse any plan that deletes or replaces this deployment.")
    ignore_changes: list[IgnoreEntry] = Field(
        default_factory=list,
        description="Fields whose live values are left alone (never diffed): a field name, or "
        "{field, until, reason} to ignore it only until a date.",
    )
    smoke: SmokeSpec | None = Field(default=None, description="Smoke test run after apply and by comfyops smoke.")
    rollout: RolloutSpec | None = Field(
        default=None, description="How a workflow version (or workflow) change is rolled out; default direct."
    )

    @model_validator(mode="after")
    def _min_not_above_max(self) -> DeploymentSpec:
        if (
            self.min_instances is not None
            and self.max_instances is not None
            and self.max_instances < self.min_instances
        ):
            raise ValueError(f"max_instances ({self.max_instances}) is below min_instances ({self.min_instances})")
        return self


class OverridePresetSpec(_Strict):
    """Reusable partial workflow inputs, keyed by node id."""

    description: str | None = None
    extends: list[Name] = Field(default_factory=list, description="Presets merged left to right, then this one.")
    overrides: Overrides = Field(default_factory=dict)


class PruneSettings(_Strict):
    """Whether and how to remove live deployments that no manifest declares."""

    enabled: StrictBool = False
    match: list[str] = Field(default_factory=list, description="Glob patterns of names this repository owns.")
    action: Literal["delete", "pause"] = Field(default="delete", description="pause sets is_enabled: false instead.")
    exclude: list[str] = Field(
        default_factory=list,
        description="Glob patterns of names never pruned, even when they match; with environments, the names "
        "of the other environments are added automatically.",
    )


class DefaultSettings(_Strict):
    """Values for deployment fields a manifest leaves out (before the API's own defaults)."""

    hardware: Hardware | None = None
    min_instances: StrictInt | None = Field(default=None, ge=0, le=30)
    max_instances: StrictInt | None = Field(default=None, ge=1, le=60)
    queue_size: StrictInt | None = Field(default=None, ge=1)
    keep_warm_duration_in_seconds: StrictInt | None = Field(default=None, ge=0)
    is_enabled: StrictBool | None = None


class LimitSettings(_Strict):
    """Account limits lower than the API's (some plans allow only 0-3 warm and 1-10 max instances)."""

    min_instances_max: StrictInt = Field(default=30, ge=0, le=30)
    max_instances_max: StrictInt = Field(default=60, ge=1, le=60)


class RateLimitSettings(_Strict):
    """The client's shared token bucket."""

    requests_per_second: StrictNumber = Field(default=1.0, gt=0, le=100)
    burst: StrictInt = Field(default=5, ge=1, le=100)


class PolicySettings(_Strict):
    """Rego policies evaluated over every plan (conftest conventions)."""

    paths: list[str] = Field(
        default_factory=list,
        description="Rego files or folders, relative to the file that names them (*_test.rego files are "
        "only run by `comfyops policy test`).",
    )
    namespaces: list[str] = Field(
        default_factory=lambda: ["main"],
        description="Rego packages whose deny/violation/warn rules are evaluated.",
    )


def _valid_cron(value: str) -> str:
    from croniter import croniter  # only when a window is declared: importing it runs `file` on Python

    if not croniter.is_valid(value):
        raise ValueError(f"{value!r} is not a cron expression (minute hour day-of-month month day-of-week)")
    return value


CronExpression = Annotated[str, StringConstraints(min_length=1), AfterValidator(_valid_cron)]


class DriftSettings(_Strict):
    """What ``comfyops reconcile`` does about drift in this environment."""

    mode: Literal["report", "heal"] = Field(
        default="report", description="report: say what drifted; heal: also apply what returns live to git."
    )
    heal_creates: StrictBool = Field(
        default=False,
        description="Let heal create a declared deployment that this working copy has never seen live (by default "
        "heal only re-creates one it saw live before, and reports a never-applied manifest).",
    )
    windows: list[CronExpression] = Field(
        default_factory=list,
        description="Cron expressions (UTC) of the minutes in which heal may act, e.g. '* 9-16 * * 1-5'; "
        "outside them heal reports only. Empty: always.",
    )


NotifyEvent = Literal["drift_detected", "healed", "heal_failed", "apply_failed", "smoke_failed", "rolled_back"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = NotifyEvent.__args__  # type: ignore[attr-defined]


class NotifySettings(_Strict):
    """Where to send messages (Apprise URLs) and for which events."""

    urls: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list,
        description="Apprise URLs (slack://, msteams://, discord://, mailto://, json://, ...); put tokens in "
        "${secret:VAR}.",
    )
    events: list[NotifyEvent] = Field(
        default_factory=lambda: list(NOTIFY_EVENTS), description="The events that send a message (default: all).",
    )
    timeout_seconds: StrictNumber = Field(
        default=10, gt=0, le=120, description="Give up on a send after this long (a warning, never a failure)."
    )


class SettingsSpec(_Strict):
    """Repository-wide settings; at most one Settings document."""

    prune: PruneSettings = Field(default_factory=PruneSettings)
    defaults: DefaultSettings = Field(default_factory=DefaultSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    prices: dict[Hardware, Price] = Field(
        default_factory=dict, description="Hourly USD price per SKU, for cost figures (finite, 0 or more)."
    )
    queue_api_version: Literal["v1", "v2"] = Field(default="v1", description="Path version of the inference queue API.")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="Rego policy checks on plans.")
    keep_previous_version: StrictBool = Field(
        default=False,
        description="When a plan moves a deployment off a workflow version no other deployment uses, keep that "
        "version from being removed by the next Cloud Save (RunComfy keeps three per workflow): the plan creates "
        "or re-points a paused keeper deployment (<name>.comfyops-keep, min_instances: 0, is_enabled: false) "
        "pinned to it, which prune and environments leave alone.",
    )
    sensitive_variables: list[VariableName] = Field(
        default_factory=list,
        description="Environment variables whose values are secrets, besides credential-like names "
        "(SECRET, TOKEN, KEY, PASSWORD, ...) and ${secret:VAR}: masked in plans, comments and messages.",
    )
    drift: DriftSettings = Field(default_factory=DriftSettings, description="What `comfyops reconcile` does.")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="Messages on drift, heal and failures.")


Glob = Annotated[str, StringConstraints(min_length=1)]


class EnvironmentPatch(_Strict):
    """A partial Deployment spec merged into every deployment whose base name matches."""

    match: Glob | list[Glob] = Field(description="Glob (or globs) over base deployment names, e.g. kontext-*.")
    spec: dict[str, Any] = Field(description="Partial Deployment spec; mappings merge, other values replace.")


class EnvironmentSpec(_Strict):
    """One environment (staging, prod, ...): names, account, settings and patches over the base manifests."""

    name_prefix: str = Field(default="", description="Put before every deployment name in this environment.")
    name_suffix: str = Field(default="", description="Put after every deployment name, e.g. -prod.")
    api_url: str | None = Field(default=None, description="RunComfy API base URL for this environment.")
    token_env: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = Field(
        default="RUNCOMFY_API_TOKEN",
        description="Name of the environment variable that holds this environment's API token.",
    )
    settings: SettingsSpec | None = Field(
        default=None, description="Merged over the Settings document (mappings merge, lists replace)."
    )
    patches: list[EnvironmentPatch] = Field(default_factory=list, description="Applied in order.")
    include: list[Glob] = Field(
        default_factory=list, description="Globs of base names that exist in this environment (default: all)."
    )
    exclude: list[Glob] = Field(default_factory=list, description="Globs of base names left out of it.")
    ids: dict[Name, Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=dict,
        description="Pinned deployment UUIDs of this environment, by base deployment name (what "
        "`import --env` writes). A pin belongs to one environment: with two or more environments, "
        "metadata.id in the base manifests is an error.",
    )


class _Document(_Strict):
    apiVersion: Literal["comfyops/v1"]


class DeploymentDocument(_Document):
    """``kind: Deployment``."""

    kind: Literal["Deployment"]
    metadata: DeploymentMetadata
    spec: DeploymentSpec


class OverridePresetDocument(_Document):
    """``kind: OverridePreset``."""

    kind: Literal["OverridePreset"]
    metadata: Metadata
    spec: OverridePresetSpec = Field(default_factory=OverridePresetSpec)


class SettingsDocument(_Document):
    """``kind: Settings``."""

    kind: Literal["Settings"]
    metadata: Metadata | None = None
    spec: SettingsSpec = Field(default_factory=SettingsSpec)


class EnvironmentDocument(_Document):
    """``kind: Environment``."""

    kind: Literal["Environment"]
    metadata: Metadata
    spec: EnvironmentSpec = Field(default_factory=EnvironmentSpec)


DOCUMENT_MODELS: dict[str, type[_Document]] = {
    "Deployment": DeploymentDocument,
    "OverridePreset": OverridePresetDocument,
    "Settings": SettingsDocument,
    "Environment": EnvironmentDocument,
}
