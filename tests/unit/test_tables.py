"""Tables: schemas enforced on write, metadata stored, readable by pandas, polars, DuckDB."""

import math

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from graphprior.analysis import study as S
from graphprior.io import tables as T


def models_frame(n=3):
    rows = []
    for i in range(n):
        rows.append(
            {name: None for name in T.MODELS_SCHEMA.names}
            | {
                "model_id": f"g1--he_normal--s{i}",
                "model_family": "graph_prior",
                "group": "g1",
                "graph_id": "g1",
                "dataset": "digits",
                "init": "he_normal",
                "seed": i,
                "n_params": 100 + i,
                "status": "ok",
                "test_accuracy": 0.9,
                "checkpoint": f"results/models/g1/m{i}.safetensors",
                "target_density": math.nan,
            }
        )
    return pd.DataFrame(rows)


def test_write_read_with_metadata_in_three_engines(tmp_path):
    path = tmp_path / "models.parquet"
    T.write_table(models_frame(), path, T.MODELS_SCHEMA, "models", T.file_metadata("abc", "unit"))
    meta = pq.read_schema(path).metadata
    assert meta[b"graphprior.config_hash"] == b"abc"
    assert b"torch" in meta[b"graphprior.package_versions"]
    assert len(pd.read_parquet(path)) == 3
    assert pl.read_parquet(path).height == 3
    assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == 3
    assert str(pq.read_schema(path).field("seed").type) == "int64"


def test_duplicate_ids_are_refused(tmp_path):
    df = models_frame()
    df.loc[1, "model_id"] = df.loc[0, "model_id"]
    with pytest.raises(T.TableError, match="duplicate model_id"):
        T.write_table(df, tmp_path / "m.parquet", T.MODELS_SCHEMA, "models")


def test_a_target_that_is_not_a_regular_file_is_refused_and_kept(tmp_path):
    # the atomic rename would turn a device such as /dev/null into a regular file
    (tmp_path / "a_folder.parquet").mkdir()
    with pytest.raises(T.TableError, match="a_folder.parquet: not a regular file"):
        T.write_table(models_frame(), tmp_path / "a_folder.parquet", T.MODELS_SCHEMA, "models")
    assert (tmp_path / "a_folder.parquet").is_dir()
    assert not list(tmp_path.glob("*.tmp"))


def test_null_keys_and_missing_columns_are_refused(tmp_path):
    df = models_frame()
    df.loc[0, "status"] = None
    with pytest.raises(T.TableError, match="status"):
        T.write_table(df, tmp_path / "m.parquet", T.MODELS_SCHEMA, "models")
    with pytest.raises(T.TableError, match="missing columns"):
        T.write_table(
            df.drop(columns=["model_family"]), tmp_path / "m.parquet", T.MODELS_SCHEMA, "models"
        )


def test_orphan_rows_are_refused():
    graphs = pd.DataFrame({"graph_id": ["g1"]})
    props = pd.DataFrame({"graph_id": ["g1"]})
    models = models_frame(1)
    rob = pd.DataFrame({"model_id": ["ghost"]})
    with pytest.raises(T.TableError, match="unknown models"):
        T.check_relations(
            {"graphs": graphs, "graph_properties": props, "models": models, "robustness": rob}
        )


def test_corrupt_parquet_names_the_file(tmp_path):
    bad = tmp_path / "part.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(T.TableError, match="part.parquet"):
        T.read_table(bad)


def test_measure_column_names():
    assert S.measure_column("robust_accuracy", "pgd", "linf", 0.1) == "robust_accuracy_pgd_linf_0p1"
    assert S.measure_column("margin_mean", "none", "none", math.nan) == "margin_mean"
    assert S.measure_column("nc1", "none", "none", math.nan, 2) == "nc1_L2"


def test_study_joins_models_graph_properties_and_measures():
    models = models_frame(2)
    graphs = pd.DataFrame(
        {
            "graph_id": ["g1"],
            "generator": ["watts_strogatz"],
            "variant": ["original"],
            "parent_id": [None],
        }
    )
    props = pd.DataFrame({"graph_id": ["g1"], "density": [0.1], "avg_path_length": [3.0]})
    rob = pd.DataFrame(
        {
            "model_id": [models.model_id[0], models.model_id[1], models.model_id[0]],
            "measure": ["robust_accuracy", "robust_accuracy", "nc1"],
            "attack": ["pgd", "pgd", "none"],
            "norm": ["linf", "linf", "none"],
            "eps": [0.1, 0.1, math.nan],
            "layer": [None, None, 1],
            "value": [0.5, 0.6, 3.0],
            "n": [10, 10, 10],
        }
    )
    study = S.build_study(models, graphs, props, rob)
    assert len(study) == 2
    assert list(study["robust_accuracy_pgd_linf_0p1"]) == [0.5, 0.6]
    assert "graph_density" in study and "avg_path_length" in study
    assert "nc1_L1" not in study  # layer-wise rows stay in the long table


def test_study_keeps_a_measure_that_is_nan_everywhere_and_refuses_collisions():
    models = models_frame(2)
    graphs = pd.DataFrame(
        {"graph_id": ["g1"], "generator": ["er"], "variant": ["original"], "parent_id": [None]}
    )
    props = pd.DataFrame({"graph_id": ["g1"], "avg_path_length": [2.0]})
    rob = pd.DataFrame(
        {
            "model_id": list(models.model_id),
            "measure": ["clever_score"] * 2,
            "attack": ["clever"] * 2,
            "norm": ["l2"] * 2,
            "eps": [0.3, 0.3],
            "layer": [None, None],
            "value": [math.nan, math.nan],
            "n": [1, 1],
        }
    )
    assert "clever_score_clever_l2_0p3" in S.build_study(models, graphs, props, rob)
    clash = pd.concat([rob, rob.assign(value=1.0)], ignore_index=True)
    with pytest.raises(T.TableError, match="clever_score_clever_l2_0p3"):
        S.build_study(models, graphs, props, clash)
