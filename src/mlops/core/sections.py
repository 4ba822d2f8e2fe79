"""The sections of params.yaml, one typed class each (strict: an unknown key, a wrong type
or an out-of-range value is an error naming the key). `core/config.py` assembles them
into `Params` and loads the file. A model type's own section comes from its module in
train/models/ (`model_sections`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    Field,
    create_model,
    field_validator,
    model_validator,
)

from mlops.core.strict import Strict

# A month as the data knows it, "YYYY-MM" (monitor/months.py compiles the same pattern).
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(pattern=MONTH_PATTERN)]
Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class Paths(Strict):
    """Every file the pipeline reads or writes. dvc.yaml interpolates the same keys."""

    snapshot: str
    validation: str
    train: str
    test: str
    features: str
    model: str
    training: str
    metrics: str
    slices: str
    runtime: str
    plots: str
    report: str
    gate: str
    comment: str
    monitor_batch: str
    monitor: str
    monitor_report: str
    predictions: str  # folder of the serving prediction log (JSON Lines; see serve/predlog.py)
    bundle: str  # what the serving image holds: model file + metadata.json (`mlops bundle`)
    deployment: str  # the Kubernetes Deployment whose image `mlops deploy-pin` pins
    alerts: str  # Prometheus alert rules; `mlops alert-rules` writes the drift rules in it


class SimulatedMonths(Strict):
    """The default data has no time column, so an arrival month is simulated (seeded)."""

    start: Month
    count: Annotated[int, Field(ge=1, le=120)]
    seed: Annotated[int, Field(ge=0)]


class Ingest(Strict):
    """Where the raw data comes from: the one place a forker points at their own data."""

    sources: Annotated[list[str], Field(min_length=1)]
    columns: list[str] | None = None
    read_csv: dict[str, Any] = Field(default_factory=dict)
    missing_values: list[str] = Field(default_factory=list)
    replace: dict[str, dict[str, str]] = Field(default_factory=dict)
    id_column: str | None = None
    simulated_months: SimulatedMonths | None = None
    until_month: Month | None = None


class Data(Strict):
    """What the columns of the snapshot mean."""

    id_column: str
    time_column: str
    target: str
    positive_label: str
    slices: list[str]
    # Rows sharing this column's value are one entity's (copies of a row, one customer's
    # records): the split keeps them on one side, and the column is never a feature.
    group_column: str | None = None


class Validate(Strict):
    max_missing_rate: Rate
    min_rows: Annotated[int, Field(ge=1)]
    # In each side of the split, rows of each class (data/contract.py). Below it the
    # early-stopping holdout (a tenth of train) may hold no row of a class, and the test
    # metrics are undefined or noise.
    min_class_rows: Annotated[int, Field(ge=1)] = 10


class Prepare(Strict):
    test_fraction: Fraction
    split_salt: Annotated[str, Field(min_length=1)]


class Featurize(Strict):
    exclude: dict[str, str] = Field(default_factory=dict)
    max_missing_rate: Rate
    max_single_feature_auc: Annotated[float, Field(gt=0.5, le=1.0)]


class DaskEngine(Strict):
    """`train.dask:` where `train.engine: dask` fits and scores: an existing Dask cluster
    (`scheduler: tcp://host:8786`, e.g. one the Dask Kubernetes operator runs), or with
    `scheduler: null` a cluster of `workers` local processes on loopback, started and
    stopped by the stage (what the tests run)."""

    scheduler: str | None = None
    workers: Annotated[int, Field(ge=1, le=1024)] = 2
    threads_per_worker: Annotated[int, Field(ge=1, le=512)] = 1
    partitions_per_worker: Annotated[int, Field(ge=1, le=1024)] = 1


class TrainBase(Strict):
    """`train:` is the seed, the model type, and one section per model type.

    Each model type is a module of mlops/train/models/ that declares its typed section
    (`Hyperparameters`), so adding one needs no edit here: the sections are discovered.
    """

    seed: Annotated[int, Field(ge=0, le=2**32 - 1)]  # numpy's RandomState accepts < 2**32
    model: str
    engine: Literal["local", "dask"] = "local"
    dask: DaskEngine = Field(default_factory=DaskEngine)

    @field_validator("model")
    @classmethod
    def _known_model(cls, name: str) -> str:
        known = sorted(model_sections())
        if name not in known:
            raise ValueError(f"unknown model type {name!r}; known: {', '.join(known)}")
        return name

    @model_validator(mode="after")
    def _chosen_section_present(self) -> TrainBase:
        if getattr(self, self.model, None) is None:
            raise ValueError(f"model {self.model!r} is chosen but train.{self.model} is missing")
        return self

    @model_validator(mode="after")
    def _engine_supported(self) -> TrainBase:
        if self.engine == "dask":
            from mlops.train.models import model_types

            if model_types()[self.model].fit_on_cluster is None:
                able = sorted(n for n, k in model_types().items() if k.fit_on_cluster)
                raise ValueError(
                    f"model {self.model!r} cannot train on a Dask cluster; models that can: "
                    + ", ".join(able)
                )
        return self

    @property
    def hyperparameters(self) -> Strict:
        """The section of the chosen model type."""
        section: Strict = getattr(self, self.model)
        return section


def model_sections() -> dict[str, type[Strict]]:
    """Model type name -> its hyperparameter section (train/models/, discovered)."""
    from mlops.train.models import model_types

    return {name: kind.hyperparameters for name, kind in model_types().items()}


if TYPE_CHECKING:
    Train = TrainBase
else:  # the same class with one optional field per discovered model type
    Train = create_model(
        "Train",
        __base__=TrainBase,
        **{name: (section | None, None) for name, section in model_sections().items()},
    )


class Evaluate(Strict):
    threshold: Fraction
    min_slice_size: Annotated[int, Field(ge=1)]
    calibration_bins: Annotated[int, Field(ge=2, le=100)]
    curve_points: Annotated[int, Field(ge=10, le=1000)]
    importance_repeats: Annotated[int, Field(ge=1, le=50)]
    importance_rows: Annotated[int, Field(ge=100)] = 5000
    latency_rows: Annotated[int, Field(ge=10, le=10_000)]


Metric = Literal["roc_auc", "pr_auc", "accuracy", "f1", "log_loss", "brier"]
SliceMetric = Literal["roc_auc", "accuracy", "true_positive_rate"]
GapMetric = Literal[
    "selection_rate", "true_positive_rate", "false_positive_rate", "accuracy", "roc_auc"
]


class Bootstrap(Strict):
    """Paired bootstrap of (challenger - champion) on the same rows; seeded, deterministic."""

    resamples: Annotated[int, Field(ge=100, le=100_000)]
    confidence: Annotated[float, Field(ge=0.5, lt=1.0)]
    seed: Annotated[int, Field(ge=0)]
    # Past this many rows each resample draws max_rows rows (m-out-of-n, rescaled): the
    # review's cost stops growing with the test split. A default, so that a base branch
    # whose params.yaml predates the key still has a policy.
    max_rows: Annotated[int, Field(ge=10_000)] = 50_000


class Gate(Strict):
    """The promotion policy: when a challenger may replace the champion (review/policy.py)."""

    primary_metric: Metric
    margin: Annotated[float, Field(ge=0.0, le=1.0)]
    bootstrap: Bootstrap
    floors: dict[Metric, float] = Field(default_factory=dict)
    slice_metrics: list[SliceMetric] = Field(default_factory=list)
    slice_tolerance: Annotated[float, Field(ge=0.0, le=1.0)]
    fairness_gaps: list[GapMetric] = Field(default_factory=list)
    gap_tolerance: Annotated[float, Field(ge=0.0, le=1.0)]
    max_latency_ms_p95: Annotated[float, Field(gt=0.0)]
    max_model_bytes: Annotated[int, Field(ge=1)]
    # The strictest value by default: a policy written before this rule existed (a base
    # revision's) drops no champion row silently.
    max_removed_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


MonitorReason = Literal[
    "input_drift", "prediction_drift", "label_shift", "decay", "data_quality", "staleness"
]


class DriftThresholds(Strict):
    """When an input feature counts as drifted: any one distance over its threshold."""

    psi: Annotated[float, Field(gt=0.0)]
    wasserstein: Annotated[float, Field(gt=0.0)]
    jensen_shannon: Annotated[float, Field(gt=0.0, le=1.0)]
    min_features: Annotated[int, Field(ge=1)]


class QualityThresholds(Strict):
    missing_increase: Rate
    unseen_rate: Rate
    out_of_range_rate: Rate


class Decay(Strict):
    metric: Metric
    max_drop: Annotated[float, Field(ge=0.0, le=1.0)]


class Simulate(Strict):
    """`mlops simulate`: how strongly each scenario alters a month's real rows (seeded)."""

    seed: Annotated[int, Field(ge=0)]
    covariate_column: str
    covariate_strength: Annotated[float, Field(gt=0.0, le=5.0)]
    prior_positive_rate: Fraction
    concept_fraction: Annotated[float, Field(gt=0.0, le=1.0)]
    quality_fraction: Annotated[float, Field(gt=0.0, le=1.0)]


class Online(Strict):
    """Drift the serving process computes over its most recent scored rows (online.py)."""

    enabled: bool  # off: /metrics has no drift gauges and requests pay nothing for them
    window: Annotated[int, Field(ge=10)]
    alert_for: Annotated[str, Field(pattern=r"^[1-9][0-9]*[smh]$")]


class Monitor(Strict):
    """`mlops monitor`: drift, decay and staleness, and the rule that turns them into a
    retraining verdict (monitor/verdict.py)."""

    min_rows: Annotated[int, Field(ge=1)]
    bins: Annotated[int, Field(ge=2, le=100)]
    min_category_share: Annotated[float, Field(ge=0.0, lt=1.0)]
    drift: DriftThresholds
    quality: QualityThresholds
    prediction_psi: Annotated[float, Field(gt=0.0)]
    label_shift: Annotated[float, Field(gt=0.0, le=1.0)]
    decay: Decay
    bootstrap: Bootstrap
    max_staleness_months: Annotated[int, Field(ge=1)]
    retrain_on: list[MonitorReason]
    retrain_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")]
    simulate: Simulate
    online: Online

    @field_validator("retrain_branch")
    @classmethod
    def _plain_branch(cls, name: str) -> str:
        if ".." in name or name.endswith((".lock", "/", ".")) or "//" in name:
            raise ValueError(f"{name!r} is not a valid git branch name")
        return name


class Canary(Strict):
    """Before prod: the packaged service answers the holdout set over HTTP (serve/canary.py)."""

    max_abs_diff: Annotated[float, Field(ge=0.0, le=1.0)]  # served vs offline probability
    latency_requests: Annotated[int, Field(ge=10, le=100_000)]  # single-row requests timed
    max_latency_ms_p99: Annotated[float, Field(gt=0.0)]  # their p99, over HTTP on loopback


class Serve(Strict):
    """`mlops serve`: the HTTP service, its limits and its prediction log (serve/)."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65_535)]
    max_batch_rows: Annotated[int, Field(ge=1, le=1_000_000)]
    max_body_bytes: Annotated[int, Field(ge=1024)]
    max_in_flight: Annotated[int, Field(ge=1, le=10_000)]
    unseen_categories: Literal["score", "reject"]
    drain_seconds: Annotated[float, Field(gt=0.0, le=3600.0)]
    log_inputs: bool
    log_max_bytes: Annotated[int, Field(ge=1024)]
    log_backups: Annotated[int, Field(ge=0, le=10_000)]
    canary: Canary
