"""Neural collapse of stacked nets: NC1–NC4 on the readout features, NC1 per hidden layer.

Papyan, Han, Donoho 2020, "Prevalence of neural collapse during the terminal
phase of deep learning training", PNAS; Su, Zhang, Tsilivis, Kempe 2023, "On
the robustness of neural collapse and the neural collapse of robustness",
arXiv 2311.07444: NC1–NC4 and nearest-class-centre accuracy on the readout
features, and NC1 per hidden layer, on clean and on perturbed data.
Formulas: ``docs/measures.md``, section "Beyond input attacks".
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from graphprior.nets.stacked import StackedNet
from graphprior.robustness.rows import model_rows
from graphprior.robustness.stacking import frozen_eval

__all__ = ["nc_metrics", "layerwise_nc", "neural_collapse_rows"]

NAN = float("nan")


def _class_statistics(
    features: torch.Tensor, labels: torch.Tensor, n_classes: int
) -> dict[str, torch.Tensor]:
    """Class means and covariances of features (K, N, F) in float64, present classes only."""
    h = features.double()
    labels = labels.to(h.device)
    onehot = F.one_hot(labels, n_classes).double()  # (N, C)
    counts = onehot.sum(0)
    present = torch.nonzero(counts > 0).flatten()
    onehot = onehot[:, present]
    counts = counts[present]
    means = torch.einsum("nc,knf->kcf", onehot, h) / counts.view(1, -1, 1)  # (K, C', F)
    # balanced global mean (mean of class means) so the centred means sum to zero
    global_mean = means.mean(1, keepdim=True)
    centred = means - global_mean
    # map labels to positions among the present classes
    pos = torch.full((n_classes,), -1, dtype=torch.long, device=h.device)
    pos[present] = torch.arange(len(present), device=h.device)
    within = h - means[:, pos[labels]]
    n = h.shape[1]
    sigma_w = within.transpose(1, 2) @ within / n
    sigma_b = centred.transpose(1, 2) @ centred / len(present)
    return {
        "present": present,
        "pos": pos,
        "means": means,
        "centred": centred,
        "sigma_w": sigma_w,
        "sigma_b": sigma_b,
    }


def _nc1(stats: dict[str, torch.Tensor]) -> torch.Tensor:
    sigma_b = stats["sigma_b"]
    c = stats["present"].numel()
    # Σ_B is rank ≤ C'−1; drop round-off eigenvalues relative to the largest
    pinv = torch.linalg.pinv(sigma_b, hermitian=True, rtol=1e-9)
    nc1 = (stats["sigma_w"] * pinv.transpose(1, 2)).sum((1, 2)) / c
    degenerate = sigma_b.diagonal(dim1=1, dim2=2).sum(1) <= 0
    if c < 2:
        degenerate = torch.ones_like(degenerate)
    return torch.where(degenerate, torch.full_like(nc1, NAN), nc1)


def _ncc_predictions(features: torch.Tensor, stats: dict[str, torch.Tensor]) -> torch.Tensor:
    dist = torch.cdist(features.double(), stats["means"])  # (K, N, C')
    return stats["present"][dist.argmin(-1)]


def _geometry(
    stats: dict[str, torch.Tensor], classifier_weights: torch.Tensor, device: torch.device
) -> dict[str, torch.Tensor]:
    """NC2 (equinorm, equiangular, max-angle) and NC3; NaN with fewer than two classes."""
    c = stats["present"].numel()
    centred = stats["centred"]
    k = centred.shape[0]
    if c < 2:
        nan = torch.full((k,), NAN, dtype=torch.float64, device=device)
        return {"nc2_equinorm": nan, "nc2_equiangular": nan, "nc2_maxangle": nan, "nc3": nan}
    norms = centred.norm(dim=-1)  # (K, C')
    unit = centred / norms.unsqueeze(-1)
    cos = unit @ unit.transpose(1, 2)
    iu = torch.triu_indices(c, c, offset=1, device=cos.device)
    pair_cos = cos[:, iu[0], iu[1]]
    equiangular = pair_cos.std(dim=1) if pair_cos.shape[1] > 1 else torch.zeros_like(pair_cos[:, 0])
    w = classifier_weights.double()[:, stats["present"]]
    w_unit = w / w.flatten(1).norm(dim=1).view(k, 1, 1)
    m_unit = centred / centred.flatten(1).norm(dim=1).view(k, 1, 1)
    return {
        "nc2_equinorm": norms.std(dim=1) / norms.mean(dim=1),
        "nc2_equiangular": equiangular,
        "nc2_maxangle": (pair_cos + 1.0 / (c - 1)).abs().mean(dim=1),
        "nc3": (w_unit - m_unit).pow(2).sum((1, 2)),
    }


def nc_metrics(
    features: torch.Tensor,
    labels: torch.Tensor,
    classifier_weights: torch.Tensor,
    logits: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Neural-collapse metrics NC1–NC4 (Papyan et al. 2020; Su et al. 2023).

    With ``h_i`` the features, ``μ_c`` the class means, ``μ_G`` the mean of the
    class means, ``M`` the (C, F) matrix of centred means ``μ_c − μ_G`` and
    ``W`` the classifier:

    - ``nc1 = Tr(Σ_W Σ_B⁺) / C`` with ``Σ_W = 1/N Σ_i (h_i − μ_{y_i})(·)ᵀ``,
      ``Σ_B = 1/C Σ_c (μ_c − μ_G)(·)ᵀ``, ``⁺`` the Moore–Penrose pseudo-inverse;
    - ``nc2_equinorm = std_c ‖μ_c − μ_G‖ / mean_c ‖μ_c − μ_G‖``;
    - ``nc2_equiangular = std_{c<c'} cos(μ_c − μ_G, μ_c' − μ_G)``;
    - ``nc2_maxangle = mean_{c<c'} |cos(…) + 1/(C − 1)|``;
    - ``nc3 = ‖W/‖W‖_F − M/‖M‖_F‖²_F`` (classifier bias ignored);
    - ``nc4`` = share of samples where ``argmax`` of the logits differs from
      the nearest-class-centre (NCC) prediction ``argmin_c ‖h − μ_c‖``;
    - ``ncc_accuracy`` = accuracy of the NCC classifier.

    All four reach 0 at full collapse onto a simplex equiangular tight frame
    aligned with the classifier. Standard deviations use Bessel's correction
    (``torch.std``). Classes absent from ``labels`` are left out: C is the
    number of present classes, W keeps only their rows, and NCC chooses among
    them. With fewer than two present classes, or when all class means
    coincide (Σ_B = 0), NC1–NC3 are NaN. Computed in float64.

    Parameters
    ----------
    features : (N, F) or (K, N, F).
    labels : (N,) integer classes.
    classifier_weights : (C, F) or (K, C, F), the weights that read ``features``.
    logits : (N, C) or (K, N, C).

    Returns
    -------
    dict
        Keys ``nc1, nc2_equinorm, nc2_equiangular, nc2_maxangle, nc3, nc4,
        ncc_accuracy``; scalars for unbatched inputs, else shape (K,).
    """
    batched = features.dim() == 3
    if not batched:
        features, classifier_weights, logits = (
            features.unsqueeze(0),
            classifier_weights.unsqueeze(0),
            logits.unsqueeze(0),
        )
    labels = labels.to(features.device)
    stats = _class_statistics(features, labels, classifier_weights.shape[-2])
    geometry = _geometry(stats, classifier_weights, features.device)
    ncc = _ncc_predictions(features, stats)
    out = {
        "nc1": _nc1(stats),
        **geometry,
        "nc4": (ncc != logits.argmax(-1)).double().mean(1),
        "ncc_accuracy": (ncc == labels.view(1, -1)).double().mean(1),
    }
    if not batched:
        out = {key: v[0] for key, v in out.items()}
    return out


def _layerwise_from_blocks(
    blocks: list[torch.Tensor], y: torch.Tensor, n_classes: int
) -> list[dict[str, torch.Tensor]]:
    result = []
    for h in blocks[1:]:
        stats = _class_statistics(h, y, n_classes)
        ncc = _ncc_predictions(h, stats)
        result.append(
            {
                "nc1": _nc1(stats),
                "ncc_accuracy": (ncc == y.to(ncc.device).view(1, -1)).double().mean(1),
            }
        )
    return result


def layerwise_nc(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor
) -> list[dict[str, torch.Tensor]]:
    """NC1 and nearest-class-centre accuracy of every hidden layer (Su et al. 2023).

    Entry ``i`` describes hidden layer ``i`` (block ``i + 1`` of
    :meth:`~graphprior.nets.stacked.StackedNet.forward_blocks`, post-ReLU), each value
    of shape (K,). Every layer is included, also layers of width 1 (then Σ_B is
    a scalar and NC1 a variance ratio); a layer whose class means all coincide
    (e.g. all neurons dead) gets NC1 = NaN.
    """
    with frozen_eval(net), torch.no_grad():
        blocks, _ = net.forward_blocks(x)
    return _layerwise_from_blocks(blocks, y, net.spec.n_classes)


def _nc_rows_for(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor, attack: str, norm: str, eps: float
) -> list[dict]:
    n = int(y.shape[0])
    with frozen_eval(net), torch.no_grad():
        blocks, logits = net.forward_blocks(x)
        ins = net.layer_inputs(net.n_layers - 1)
        feats = torch.cat([blocks[b] for b in ins], dim=-1)[..., net.readout_columns()]
        readout = nc_metrics(feats, y, net.readout_weights().detach(), logits)
    rows = []
    for name, values in readout.items():
        rows += model_rows(name, attack, norm, eps, values, n)
    for i, layer in enumerate(_layerwise_from_blocks(blocks, y, net.spec.n_classes)):
        for name, values in layer.items():
            rows += model_rows(name, attack, norm, eps, values, n, layer=i)
    return rows


def neural_collapse_rows(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    perturb: Callable[[StackedNet, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    attack: str = "pgd",
    attack_norm: str = "linf",
    attack_eps: float = NAN,
) -> list[dict]:
    """Neural-collapse rows on clean and, optionally, perturbed data (Su et al. 2023).

    Readout metrics (:func:`nc_metrics`, ``layer=None``) and hidden-layer NC1
    and NCC accuracy (:func:`layerwise_nc`, ``layer`` = hidden-layer index) on
    ``x`` with ``attack="none"``; when ``perturb(net, x, y)`` returns
    perturbed inputs (K, B, ...), the same metrics on them with the *true*
    labels ``y`` (class means and NCC centres recomputed from the perturbed
    features) under ``attack``, ``attack_norm``, ``attack_eps``.
    """
    rows = _nc_rows_for(net, x, y, "none", "none", NAN)
    if perturb is not None:
        with frozen_eval(net):
            x_adv = perturb(net, x, y).detach()
        rows += _nc_rows_for(net, x_adv, y, attack, attack_norm, attack_eps)
    return rows
