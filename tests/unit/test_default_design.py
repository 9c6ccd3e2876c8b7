"""The default study (config/config.yaml) is the size-matched, fixed-interface design.

Checked on the plan, without training: at least 100 graphs in at least two
strata of five families, twins naming their originals, at least two
orientation seeds per graph and three inits, and under the main arm the same
interface (input width, readout width, hidden neurons) and parameter count
for every graph of a stratum, while the wiring differs.
"""

from collections import defaultdict
from pathlib import Path

import numpy as np

from graphprior.config import dataset_shape
from graphprior.graphs import selection as S
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.grid import make_graph
from graphprior.graphs.netspec import spec_from_dag, spec_param_count

DEFAULT = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


def _interface(spec) -> tuple[int, int, int]:
    """(input width, readout width, hidden neurons) of a spec, counted from its masks."""
    layers = [*spec.hidden, spec.output]
    input_width = sum(int(layer.mask[:, : spec.input_dim].any(1).sum()) for layer in spec.hidden
                      if layer.inputs[:1] == [0])  # fmt: skip
    readout_width = int(spec.output.mask.any(0).sum())
    hidden = sum(layer.width for layer in layers[:-1])
    return input_width, readout_width, hidden


def test_the_default_study_is_size_matched_with_twins_and_orientations():
    config = S.load_study(DEFAULT)
    specs = S.graph_specs(config)
    assert len(specs) >= 100
    originals = [s for s in specs if s.variant == "original"]
    ids = {s.graph_id for s in originals}
    assert {s.stratum for s in specs} >= {"n50-m100", "n50-m200"}
    assert len({s.generator for s in specs}) >= 5
    for s in specs:
        if s.variant == "twin":
            assert s.parent_id in ids and s.stratum == next(
                o.stratum for o in originals if o.graph_id == s.parent_id
            )
    assert len(config.training.inits) >= 3
    main = config.mapping.arm
    for s in specs:
        seeds = [o for arm, o, _ in S.graph_mappings(config, s.graph_id) if arm == main]
        assert len(seeds) >= 2


def test_one_interface_per_stratum_under_the_main_arm_and_different_wiring():
    config = S.load_study(DEFAULT)
    input_shape, n_classes = dataset_shape(config.dataset)
    main = config.mapping.arm
    by_stratum = defaultdict(list)
    for s in S.graph_specs(config):
        graph = make_graph(s)
        for arm, _, opts in S.graph_mappings(config, s.graph_id):
            if arm == main:
                spec = spec_from_dag(build_layered_dag(graph, opts), input_shape, n_classes)
                by_stratum[s.stratum].append((s.generator, spec))
    for stratum, nets in by_stratum.items():
        interfaces = {_interface(spec) for _, spec in nets}
        assert len(interfaces) == 1, (stratum, interfaces)
        n = int(stratum.split("-")[0][1:])
        assert interfaces == {(n, n, n)}
        # exact-m families have one parameter count; the wiring (masks) differs
        exact = [spec for gen, spec in nets if "barabasi" not in gen and "holme" not in gen]
        assert len({spec_param_count(spec) for spec in exact}) == 1
        depths = {len(spec.hidden) for _, spec in nets}
        assert len(depths) > 1, f"{stratum}: every net has the same depth"
        first = nets[0][1]
        assert any(
            len(spec.hidden) != len(first.hidden)
            or not all(
                np.array_equal(a.mask, b.mask)
                for a, b in zip(spec.hidden, first.hidden, strict=False)
            )
            for _, spec in nets[1:]
        )


def test_the_default_study_varies_density_at_equal_size_with_families_crossed():
    """The density design: density at least 3x apart, parameter counts within 0.5 %, every
    family at every density, and the lost input weights shared by a twin and its original."""
    config = S.load_study(DEFAULT)
    input_shape, n_classes = dataset_shape(config.dataset)
    main = config.mapping.arm
    params, families, removed = defaultdict(list), defaultdict(set), {}
    for s in S.graph_specs(config):
        graph = make_graph(s)
        opts = next(o for arm, _, o in S.graph_mappings(config, s.graph_id) if arm == main)
        spec = spec_from_dag(build_layered_dag(graph, opts), input_shape, n_classes)
        n = graph.number_of_nodes()
        density = 2 * s.target_edges / (n * (n - 1))  # the stratum's (BA's m is within n/2)
        params[round(density, 2)].append(spec_param_count(spec))
        families[round(density, 2)].add(s.generator)
        removed[s.graph_id] = [layer.mask[:, : spec.input_dim].copy() for layer in spec.hidden
                               if layer.inputs[:1] == [0]]  # fmt: skip
        assert opts.input_weights_removed == s.target_edges - config.mapping.hold_params_at
    assert max(params) / min(params) >= 3
    every = [p for ps in params.values() for p in ps]
    assert (max(every) - min(every)) / min(every) <= 0.005
    assert len({frozenset(f) for f in families.values()}) == 1
    twin = next(g for g in removed if g.endswith("-twin") and "-m300-" in g)
    original = twin.removesuffix("-twin")
    lost = [int((~m).sum()) for m in removed[original]]
    assert sum(lost) == 200 and sum(int((~m).sum()) for m in removed[twin]) == 200
