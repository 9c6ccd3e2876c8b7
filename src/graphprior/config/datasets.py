"""What the planning code knows about each dataset without loading it."""

from __future__ import annotations

from graphprior.config.errors import ConfigError

__all__ = ["DATASETS", "SHAPES", "SPLIT_SIZES", "dataset_shape"]

DATASETS = ("digits", "mnist5k", "mnist1d", "mnist", "fashion-mnist")

#: Input shape and class count of each dataset, known without loading it.
SHAPES: dict[str, tuple[tuple[int, ...], int]] = {
    "digits": ((1, 8, 8), 10),
    "mnist5k": ((1, 28, 28), 10),
    "mnist1d": ((40,), 10),
    "mnist": ((1, 28, 28), 10),
    "fashion-mnist": ((1, 28, 28), 10),
}


#: (train, validation, test) sizes of each dataset's splits, known without loading it
#: (a test checks them against graphprior.data for the offline datasets).
SPLIT_SIZES: dict[str, tuple[int, int, int]] = {
    "digits": (1257, 180, 360),
    "mnist5k": (3500, 500, 1000),
    "mnist1d": (3600, 400, 1000),
    "mnist": (55000, 5000, 10000),
    "fashion-mnist": (55000, 5000, 10000),
}


def dataset_shape(name: str) -> tuple[tuple[int, ...], int]:
    """``(input_shape, n_classes)`` of a dataset without loading it (for planning)."""
    if name not in SHAPES:
        raise ConfigError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return SHAPES[name]
