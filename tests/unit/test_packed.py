"""The packed training form of a union computes the union's logits and gradients."""

import pytest
import torch
import torch.nn.functional as F

from graphprior.config.choices import Status
from graphprior.nets.packed import PackedStack, PackedSteps
from graphprior.nets.stacked import StackedNet, cross_entropy_per_sample
from graphprior.nets.train import train_stack
from graphprior.nets.union import union_of

from .test_train import digits, train_config
from .test_union import make_nets, specs


@pytest.fixture(scope="module")
def data():
    return digits()


@pytest.fixture()
def union(data):
    u, _ = union_of(make_nets(data["train"][0]))
    return u


def loss_of(logits, y):
    k, _, c = logits.shape
    return F.cross_entropy(logits.reshape(-1, c), y.repeat(k), reduction="none").sum()


def test_logits_equal_the_union_for_shared_and_per_model_batches(union, data):
    packed = PackedStack(union)
    x = data["val"][0][:37]
    torch.testing.assert_close(packed(x), union(x), atol=1e-5, rtol=1e-5)
    per_model = data["train"][0][: union.k * 20].reshape(union.k, 20, *x.shape[1:])
    torch.testing.assert_close(packed(per_model), union(per_model), atol=1e-5, rtol=1e-5)


def test_gradients_equal_the_union_and_are_zero_where_masked(union, data):
    packed = PackedStack(union)
    x, y = data["val"][0][:29], data["val"][1][:29]
    x1 = x.clone().requires_grad_()
    ref = torch.autograd.grad(loss_of(union(x1), y), [x1, *union.weights, *union.biases])
    x2 = x.clone().requires_grad_()
    gx, gw, gb = torch.autograd.grad(loss_of(packed(x2), y), [x2, packed.weight, packed.bias])
    torch.testing.assert_close(gx, ref[0], atol=1e-5, rtol=1e-4)
    n = union.n_layers
    start = 0
    for i, (rows, cols) in enumerate(packed.layout.blocks()):
        torch.testing.assert_close(gw[:, rows, cols], ref[1 + i], atol=1e-5, rtol=1e-4)
        width = union.biases[i].shape[1]
        torch.testing.assert_close(
            gb[:, start : start + width], ref[1 + n + i], atol=1e-5, rtol=1e-4
        )
        start += width
    assert not (gw * (1 - packed.mask)).any()
    assert not (gb * (1 - packed.bias_mask)).any()


def test_written_out_steps_give_the_autograd_loss_and_gradients(union, data):
    packed = PackedStack(union)
    x, y = data["train"]
    gen = torch.Generator().manual_seed(0)
    idx = torch.stack([torch.randperm(len(x), generator=gen)[:23] for _ in range(packed.k)])
    alive = torch.ones(packed.k, dtype=torch.bool)
    alive[1] = False  # a frozen model contributes neither loss nor gradient
    per_model = cross_entropy_per_sample(packed(x[idx]), y[idx]).mean(1)
    total = torch.where(alive, per_model, torch.zeros_like(per_model)).sum()
    ref_w, ref_b = torch.autograd.grad(total, [packed.weight, packed.bias])
    steps = PackedSteps(packed, x, y)
    for _ in range(2):  # the second step reuses the buffers and gradient tensors
        torch.testing.assert_close(steps.loss(idx), per_model.detach(), atol=1e-5, rtol=1e-5)
        steps.backward(alive)
        torch.testing.assert_close(packed.weight.grad, ref_w, atol=1e-6, rtol=1e-4)
        torch.testing.assert_close(packed.bias.grad, ref_b, atol=1e-6, rtol=1e-4)
    assert not packed.weight.grad[1].any() and not packed.bias.grad[1].any()
    assert ref_w[0].abs().sum() > 0
    with pytest.raises(RuntimeError, match="loss"):
        steps.backward(alive)  # one backward per loss


def test_adam_keeps_masked_weights_at_zero_and_write_back_gives_the_union_the_weights(union, data):
    packed = PackedStack(union)
    assert not (packed.weight * (1 - packed.mask)).any()  # built masked
    opt = torch.optim.Adam(packed.parameters(), lr=0.01, weight_decay=0.01, fused=True)
    x, y = data["train"]
    for step in range(5):
        xb, yb = x[step * 50 : (step + 1) * 50], y[step * 50 : (step + 1) * 50]
        opt.zero_grad()
        loss_of(packed(xb), yb).backward()
        opt.step()
    assert not (packed.weight * (1 - packed.mask)).any()
    assert not (packed.bias * (1 - packed.bias_mask)).any()
    before = union(x[:40]).detach()
    packed.write_back(union)
    after = union(x[:40])
    assert not torch.allclose(before, after)  # the union got the trained weights
    torch.testing.assert_close(after, packed(x[:40]), atol=1e-5, rtol=1e-5)
    for i in range(union.n_layers):
        assert not (union.weights[i] * (1 - union.mask(i))).any()


def test_interleaved_passes_get_their_own_buffers(union, data):
    """Two passes of one batch size, then the first one's backward: the first pass's gradient."""
    packed = PackedStack(union)
    x, y = data["val"][0][:16], data["val"][1][:16]
    x1 = x.clone().requires_grad_()
    first = loss_of(packed(x1), y)
    x2 = x.flip(0).clone().requires_grad_()
    second = loss_of(packed(x2), y)
    with torch.no_grad():
        packed(x.flip(0))  # a third pass, without a graph
    g1, g2 = torch.autograd.grad(first, x1), torch.autograd.grad(second, x2)
    x3 = x.clone().requires_grad_()
    (ref,) = torch.autograd.grad(loss_of(union(x3), y), x3)
    torch.testing.assert_close(g1[0], ref, atol=1e-6, rtol=1e-4)
    assert not torch.allclose(g1[0], g2[0])
    assert len(packed._pool[16]) == 3  # both graphs still hold theirs
    with torch.no_grad():
        packed(x)
    assert len(packed._pool[16]) == 3  # the buffer of a pass without a graph is free at once
    del first, second
    packed(x).sum().backward()
    assert len(packed._pool[16]) == 3  # freed with their graphs


def test_a_second_derivative_is_refused(union, data):
    packed = PackedStack(union)
    x = data["val"][0][:8].clone().requires_grad_()
    (g,) = torch.autograd.grad(packed(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


def test_only_a_union_packs(data):
    net = StackedNet(specs()[2], k=2)  # input_wiring sources: layers skip earlier blocks
    with pytest.raises(ValueError, match="built from a union"):
        PackedStack(net)
    net.set_bias_masks([torch.ones_like(b) for b in net.biases])
    with pytest.raises(ValueError, match="union's architecture"):
        PackedStack(net)


def test_bad_input_shape_is_named(union):
    with pytest.raises(ValueError, match="expected input"):
        PackedStack(union)(torch.zeros(3, 64))


def test_select_copies_models_as_the_union_does(union, data):
    packed = PackedStack(union)
    x = data["val"][0][:12]
    sub = packed.select([3, 0])
    assert sub.k == 2
    torch.testing.assert_close(sub(x), union.select([3, 0])(x), atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        sub.weight.add_(1.0)
    torch.testing.assert_close(packed(x), union(x), atol=1e-5, rtol=1e-5)  # a copy
    assert packed.select(1).k == 1


def test_the_smooth_relu_surrogate_sees_the_packed_relus(union, data):
    """Under the attacks' surrogate the input gradient is the union's surrogate gradient."""
    from graphprior.robustness.smooth import smooth_relu_gradients

    packed = PackedStack(union)
    x, y = data["val"][0][:20], data["val"][1][:20]

    def grad(net):
        xg = x.clone().requires_grad_()
        return torch.autograd.grad(loss_of(net(xg), y), xg)[0]

    plain = grad(packed)
    with smooth_relu_gradients():
        smooth, smooth_union = grad(packed), grad(union)
        torch.testing.assert_close(packed(x), union(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(smooth, smooth_union, atol=1e-6, rtol=1e-4)
    assert not torch.allclose(smooth, plain, atol=1e-6)


def test_float64_input_gradient_passes_gradcheck_and_an_empty_batch_works(union, data):
    packed = PackedStack(union.double())
    assert packed.weight.dtype == torch.float64
    x = data["val"][0][:2].double().requires_grad_()
    assert torch.autograd.gradcheck(lambda t: packed(t), (x,), eps=1e-6, atol=1e-5)
    empty = torch.zeros(0, *x.shape[1:], dtype=torch.float64, requires_grad=True)
    out = packed(empty)
    assert out.shape == (union.k, 0, 10)
    out.sum().backward()
    assert empty.grad.shape == empty.shape


def test_a_diverging_model_of_a_packed_stack_is_frozen_and_the_others_train_as_without_it(
    union, data
):
    clean, broken = PackedStack(union), PackedStack(union)
    with torch.no_grad():
        broken.weight[1].masked_fill_(broken.mask[1].bool(), float("nan"))
    seeds, cfg = list(range(clean.k)), train_config(epochs=3, lr=0.01)
    res_clean = train_stack(clean, data, seeds, cfg, progress=False)
    res = train_stack(broken, data, seeds, cfg, progress=False)
    assert res[1].status is Status.DIVERGED and res_clean[1].status is not Status.DIVERGED
    keep = torch.arange(clean.k) != 1
    torch.testing.assert_close(broken.weight[keep], clean.weight[keep])
    torch.testing.assert_close(broken.bias[keep], clean.bias[keep])
    for i in torch.nonzero(keep).flatten().tolist():
        assert res[i].test_accuracy == res_clean[i].test_accuracy
        assert res[i].status is res_clean[i].status
