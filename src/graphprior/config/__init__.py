"""Configuration: the schema (the one source of defaults), validation, ids and seeds.

The lowest layer: it imports nothing else from graphprior.
"""

from graphprior.config.choices import BASELINE_FAMILIES, GRAPH_FAMILY, INITS, PAPER_INITS
from graphprior.config.datasets import DATASETS, SHAPES, SPLIT_SIZES, dataset_shape
from graphprior.config.errors import ConfigError
from graphprior.config.ids import (
    BASELINE_PREFIX,
    ID_PATTERN,
    ID_REGEX,
    alternation,
    baseline_groups,
    baseline_parts,
    check_id,
    config_hash,
    config_slice,
    derive_seed,
    iterative_steps,
    job_chunks,
    model_id,
    parse_baseline_group,
    parse_baseline_part,
    results_dir,
    uses_gpu,
)
from graphprior.config.schema import (
    SCHEMA_PATH,
    read_config,
    schema,
    with_defaults,
)
from graphprior.config.study import (
    BaselineConfig,
    GraphsConfig,
    MappingConfig,
    StudyConfig,
    TrainingConfig,
)
from graphprior.config.validation import validate_config

__all__ = [
    "StudyConfig",
    "GraphsConfig",
    "MappingConfig",
    "TrainingConfig",
    "BaselineConfig",
    "BASELINE_FAMILIES",
    "GRAPH_FAMILY",
    "INITS",
    "PAPER_INITS",
    "ConfigError",
    "DATASETS",
    "SHAPES",
    "SPLIT_SIZES",
    "dataset_shape",
    "ID_PATTERN",
    "ID_REGEX",
    "alternation",
    "BASELINE_PREFIX",
    "baseline_groups",
    "parse_baseline_group",
    "baseline_parts",
    "parse_baseline_part",
    "iterative_steps",
    "check_id",
    "config_hash",
    "config_slice",
    "derive_seed",
    "job_chunks",
    "uses_gpu",
    "results_dir",
    "model_id",
    "SCHEMA_PATH",
    "read_config",
    "schema",
    "validate_config",
    "with_defaults",
]
