"""The convolutional networks of Figs 5, 7, 10, 13: shapes, normalisation options, init schemes."""

import math

import pytest
import torch
from torch import nn

from bnrank.nets.cnn import ResNet50, ScaleOnlyBatchNorm2d, Vgg19, build_cnn, init_cnn
from bnrank.streams import RunSeed, torch_generator


@pytest.mark.parametrize(("architecture", "hidden"), [("vgg19", 512), ("resnet50", 2048)])
@pytest.mark.parametrize("norm", ["bn", "bn_nocenter", "none"])
def test_shapes_and_normalisation_layers(architecture, hidden, norm):
    width = 0.125
    model = init_cnn(build_cnn(architecture, norm, width), "pytorch", torch_generator("cnn_init", RunSeed(0, 0)))
    x = torch.rand(4, 3, 32, 32)
    assert model.last_hidden(x).shape == (4, round(hidden * width))
    assert model(x).shape == (4, 10)
    kinds = {type(m) for m in model.modules()}
    assert (nn.BatchNorm2d in kinds) == (norm == "bn")
    assert (ScaleOnlyBatchNorm2d in kinds) == (norm == "bn_nocenter")
    convolutions = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    # VGG19: 16 convolutions (+ 3 linear layers in the original = 19); ResNet-50: 49 + 4 projections
    assert convolutions == (16 if architecture == "vgg19" else 53)


def test_published_widths():
    assert Vgg19().classifier.in_features == 512 and ResNet50().classifier.in_features == 2048


def test_bn_without_centring_against_a_hand_computation():
    layer = ScaleOnlyBatchNorm2d(3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        layer.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
    x = torch.randn(8, 3, 5, 5) + 3.0  # a mean that centring BN would remove
    y = layer(x)
    for c in range(3):
        second = (x[:, c] ** 2).mean()
        expected = x[:, c] / torch.sqrt(second + layer.eps) * layer.weight[c] + layer.bias[c]
        torch.testing.assert_close(y[:, c], expected)
    assert y[:, 0].mean() > 0.9  # the mean direction survives: nothing is subtracted
    second = (x**2).mean((0, 2, 3))
    torch.testing.assert_close(layer.running_var, 0.9 + 0.1 * second)  # running second moment, momentum 0.1
    layer.eval()
    torch.testing.assert_close(layer(x)[:, 1], x[:, 1] / torch.sqrt(layer.running_var[1] + layer.eps) * 2.0 + 1.0)


def _scale_only_formula(x, weight, bias, eps):
    """The plain formula x · w/√(E[x²] + ε) + b, differentiated by autograd."""
    second = x.square().mean((0, 2, 3))
    return x * (weight * torch.rsqrt(second + eps))[None, :, None, None] + bias[None, :, None, None]


def _scale_only_formula_eval(x, layer):
    """The same with the running second moment, in float64."""
    scale = (layer.weight / torch.sqrt(layer.running_var + layer.eps)).double()
    return x * scale[None, :, None, None] + layer.bias.double()[None, :, None, None]


def test_bn_without_centring_gradients_are_those_of_the_formula():
    """The hand-written backward of ScaleOnlyBatchNorm2d (the CPU training path): gradcheck in
    float64, and agreement with autograd of the formula in float32 and bf16, NCHW and
    channels-last (the incoming gradient in the other layout)."""
    from bnrank.nets.cnn import _ScaleOnlyBatchNorm

    g = torch.Generator().manual_seed(0)
    weight = (torch.rand(4, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    bias = torch.randn(4, generator=g, dtype=torch.float64).requires_grad_()
    for memory_format in [torch.contiguous_format, torch.channels_last]:
        x = torch.randn(3, 4, 3, 2, generator=g, dtype=torch.float64) + 0.5
        x = x.contiguous(memory_format=memory_format).requires_grad_()
        torch.autograd.gradcheck(lambda *a: _ScaleOnlyBatchNorm.apply(*a, 1e-3)[0], (x, weight, bias))
        y, second = _ScaleOnlyBatchNorm.apply(x, weight, bias, 1e-3)
        torch.testing.assert_close(y, _scale_only_formula(x, weight, bias, 1e-3))
        torch.testing.assert_close(second, x.detach().square().mean((0, 2, 3)))

    for dtype, tolerance in [(torch.float32, 1e-5), (torch.bfloat16, 2e-2)]:
        for memory_format in [torch.contiguous_format, torch.channels_last]:
            layer = ScaleOnlyBatchNorm2d(8)
            with torch.no_grad():
                layer.weight.uniform_(0.5, 1.5, generator=g), layer.bias.normal_(generator=g)
            x = torch.randn(16, 8, 6, 6, generator=g, dtype=torch.float64) + 1.0
            incoming = torch.randn(x.shape, generator=g, dtype=torch.float64)
            x_low = x.to(dtype).contiguous(memory_format=memory_format).requires_grad_()
            y = layer(x_low)
            assert y.dtype == dtype and y.is_contiguous(memory_format=memory_format)
            y.backward(incoming.to(dtype))

            x64 = x_low.detach().double().requires_grad_()
            w64, b64 = (p.detach().double().requires_grad_() for p in (layer.weight, layer.bias))
            expected = _scale_only_formula(x64, w64, b64, layer.eps)
            expected.backward(incoming.to(dtype).double())
            close = dict(atol=tolerance, rtol=tolerance)
            torch.testing.assert_close(y.double(), expected, **close)
            scale = x64.grad.abs().max()  # dx cancels dy's part along x: errors relative to its largest entry
            torch.testing.assert_close(x_low.grad.double() / scale, x64.grad / scale, **close)
            torch.testing.assert_close(layer.weight.grad.double(), w64.grad, **close)
            torch.testing.assert_close(layer.bias.grad.double(), b64.grad, **close)
            second = x64.detach().square().mean((0, 2, 3)).float()
            torch.testing.assert_close(layer.running_var, 0.9 + 0.1 * second)
            assert layer.num_batches_tracked.item() == 1
            layer.eval()
            torch.testing.assert_close(layer(x_low).double(), _scale_only_formula_eval(x64, layer), **close)


def test_bn_without_centring_second_moment_is_float32_accurate():
    """float32 and bf16, NCHW and channels-last, K = 65536 positions: ~1e-7 relative error
    (BN's channels-last statistics over all K rows in sequence leave ~1e-5)."""
    from bnrank.nets.cnn import _second_moment

    x = (torch.randn(64, 8, 32, 32, generator=torch.Generator().manual_seed(0)) + 1).relu()
    for dtype in (torch.float32, torch.bfloat16):
        for memory_format in (torch.contiguous_format, torch.channels_last):
            low = x.to(dtype).contiguous(memory_format=memory_format)
            second = _second_moment(low, torch.float32)
            assert second.dtype == torch.float32
            torch.testing.assert_close(second.double(), low.double().square().mean((0, 2, 3)), rtol=1e-6, atol=0)


@pytest.mark.parametrize(("scheme", "mean_in_a"), [("pytorch", 0.0), ("asymmetric", 1.0)])
def test_init_schemes_have_their_laws(scheme, mean_in_a):
    """U[−a, a] and U[0, 2a], a = 1/√fan_in: the same variance a²/3, means 0 and a."""
    model = init_cnn(build_cnn("vgg19", "bn", 0.5), scheme, torch_generator("cnn_init", RunSeed(0, 1)))
    conv = [m for m in model.modules() if isinstance(m, nn.Conv2d)][5]
    a = 1 / math.sqrt(conv.weight[0].numel())
    w = conv.weight.flatten()
    assert w.mean().item() == pytest.approx(mean_in_a * a, abs=0.02 * a)
    assert w.var().item() == pytest.approx(a**2 / 3, rel=0.03)
    assert w.min() >= (mean_in_a - 1) * a and w.max() <= (mean_in_a + 1) * a
    again = init_cnn(build_cnn("vgg19", "bn", 0.5), scheme, torch_generator("cnn_init", RunSeed(0, 1)))
    other = init_cnn(build_cnn("vgg19", "bn", 0.5), scheme, torch_generator("cnn_init", RunSeed(0, 2)))
    first = next(again.parameters())
    assert torch.equal(first, next(model.parameters())) and not torch.equal(first, next(other.parameters()))


def test_bad_options_name_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: vgg19, resnet50"):
        build_cnn("alexnet", "bn")
    with pytest.raises(ValueError, match="allowed: bn, bn_nocenter, none"):
        build_cnn("vgg19", "layernorm")
    with pytest.raises(ValueError, match="must be positive"):
        build_cnn("resnet50", "bn", 0)
    with pytest.raises(ValueError, match="allowed: pytorch, asymmetric"):
        init_cnn(build_cnn("vgg19", "bn", 0.25), "xavier_normal", torch_generator("cnn_init", RunSeed(0, 0)))


def test_gradient_alignment_equals_the_cosine_of_per_sample_final_layer_gradients():
    """Prop. 19: per-sample gradients of each final-layer neuron, computed with torch.func,
    have |cos| = |cos(h_i, h_j)|; their mean over pairs and neurons is gradient_alignment."""
    from torch.func import functional_call, grad, vmap

    from bnrank.nets.alignment import gradient_alignment

    torch.manual_seed(0)
    model = init_cnn(build_cnn("vgg19", "bn", 0.125), "pytorch", torch_generator("cnn_init", RunSeed(0, 0))).eval()
    x, y = torch.rand(6, 3, 32, 32), torch.randint(10, (6,))
    hidden = model.last_hidden(x).detach().double()
    classifier = model.classifier.double()
    head = {k: v.detach() for k, v in classifier.named_parameters()}

    def loss(params, h, target):
        logits = functional_call(classifier, params, (h[None],))
        return torch.nn.functional.cross_entropy(logits, target[None])

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(head, hidden, y)["weight"]  # (B, classes, features)
    unit = per_sample / per_sample.norm(dim=-1, keepdim=True)
    cos = torch.einsum("ikf,jkf->kij", unit, unit).abs()
    off = ~torch.eye(6, dtype=torch.bool)
    expected = cos[:, off].mean()
    value, dead = gradient_alignment(hidden)
    torch.testing.assert_close(value, expected)
    assert dead.item() == 0


def test_gradient_alignment_of_collinear_and_dead_samples():
    from bnrank.nets.alignment import gradient_alignment

    direction = torch.rand(16)
    collinear = torch.stack([direction * s for s in (1.0, -2.0, 3.0)])
    value, dead = gradient_alignment(collinear)
    assert value.item() == pytest.approx(1.0) and dead.item() == 0
    with_dead = torch.cat([torch.eye(16)[:3], torch.zeros(2, 16)])  # three orthogonal, two all-zero
    value, dead = gradient_alignment(with_dead)
    assert value.item() == pytest.approx(0.0) and dead.item() == 2
    value, _ = gradient_alignment(torch.zeros(4, 16))
    assert torch.isnan(value)
