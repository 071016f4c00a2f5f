"""The convolutional networks of Figs 5, 7, 10 and 13: VGG19 and ResNet-50 for 32×32 inputs.

Both take a normalisation option (``CnnNorm``):

- ``bn``: ``torch.nn.BatchNorm2d``;
- ``bn_nocenter``: BN without mean subtraction (``ScaleOnlyBatchNorm2d``): each channel
  divided by the root of its uncentred second moment over the batch and spatial
  positions, as the theory's BN (Eq. 2) divides each row of H by its norm, then the same
  affine scale and shift as BN;
- ``none``: no normalisation layer.

and a channel-width multiplier ``width`` (1 = the published widths; the quick preset
narrows them). Adaptations to CIFAR-10, each the usual one:

- VGG19 (configuration E: 16 convolutions 3×3 with padding 1, five 2×2 max-pools) keeps
  torchvision's feature layout; after the fifth pool a 32×32 input is 1×1, so the head
  is one Linear(512·width → 10) instead of torchvision's three 4096-wide layers for
  224×224 ImageNet inputs. Convolutions keep their biases, as torchvision's VGG does.
- ResNet-50 is assembled from torchvision's ``Bottleneck`` blocks ([3, 4, 6, 3], expansion
  4), with a 3×3 stride-1 stem and no max-pool in place of ImageNet's 7×7 stride-2 stem
  and pool, global average pooling, and Linear(2048·width → 10).

``last_hidden`` is the representation fed to the classifier (512·width for VGG19,
2048·width for ResNet-50): the "last hidden layer" whose rank the figures plot.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torchvision.models.resnet import Bottleneck

from bnrank.settings import CnnArchitecture, CnnNorm, CnnScheme
from bnrank.streams import RunSeed, torch_generator

VGG19_LAYERS = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
RESNET50_BLOCKS = [3, 4, 6, 3]
CNN_SCHEMES = ("pytorch", "asymmetric")


def _second_moment(x: Tensor, dtype: torch.dtype) -> Tensor:
    """E[x²] per channel over the batch and spatial positions, in ``dtype``.

    A channels-last x by BN's batch statistics (var + mean²), viewed as (K/g, g·C), about
    2048 columns with g dividing K = N·H·W, and the g partial moments averaged: BN's
    channels-last kernel sums rows in sequence, a relative error ~1e-5 in float32 over
    K = 131072 rows, ~1e-7 over K/g. Other layouts (and K without such a g) by the formula.
    """
    n, c, h, w = x.shape
    k = n * h * w
    g = math.gcd(k, max(1, 2048 // c))
    if g == 1 or x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
        return x.to(dtype).square().mean((0, 2, 3))
    # running buffers in dtype (float32 ones make bf16 statistics float32), left as they are by momentum 0
    buffers = torch.zeros(2, g * c, dtype=dtype, device=x.device)
    mean, var = torch.batch_norm_update_stats(x.permute(0, 2, 3, 1).reshape(k // g, g * c), *buffers, 0.0)
    return (var + mean.square()).view(g, c).mean(0)


class _ScaleOnlyBatchNorm(torch.autograd.Function):
    """y = x · w/√(m₂ + ε) + b per channel, m₂ = E[x²] over the batch and spatial positions.

    Returns y and m₂ (not differentiable). By PyTorch's BN kernels instead of autograd's
    chain of elementwise operations: m₂ by ``_second_moment``; y and the backward by
    evaluation-mode BN with mean 0 and variance m₂, plus one pass for the gradient through m₂.
    With K = N·H·W, r = (m₂ + ε)^(−1/2) and S = Σ dy·x per channel:
    ∂L/∂x = dy·w·r − x·w·r³·S/K, ∂L/∂w = S·r, ∂L/∂b = Σ dy.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> tuple[Tensor, Tensor]:
        stats = torch.promote_types(x.dtype, torch.float32)
        second = _second_moment(x, stats)
        zero = torch.zeros_like(second)
        weight_ = weight.to(stats)
        y = torch.batch_norm(x, weight_, bias.to(stats), zero, second, False, 0.0, eps, False)
        ctx.save_for_backward(x, weight_, second)
        ctx.eps = eps
        ctx.dtypes = weight.dtype, bias.dtype
        ctx.mark_non_differentiable(second)
        return y, second

    @staticmethod
    def backward(ctx, dy: Tensor, _: Tensor) -> tuple[Tensor, Tensor, Tensor, None]:
        x, weight, second = ctx.saved_tensors
        zero = torch.zeros_like(second)
        rstd = torch.rsqrt(second + ctx.eps)
        # eval-mode BN backward: dx = dy·w·r, dw = Σ dy·x·r, db = Σ dy
        dx, dw, db = torch.ops.aten.native_batch_norm_backward(
            dy, x, weight, zero, second, zero, rstd, False, ctx.eps, [True, True, True]
        )
        k = x.numel() // x.shape[1]
        dx.addcmul_(x, (-weight * rstd.square() * dw / k).to(dx.dtype)[None, :, None, None])  # −x·w·r³·S/K
        return dx, dw.to(ctx.dtypes[0]), db.to(ctx.dtypes[1]), None


class ScaleOnlyBatchNorm2d(nn.BatchNorm2d):
    """BN without mean subtraction: x / √(E[x²] + ε) · scale + shift per channel.

    The second moment is taken over the batch and spatial positions in training, and a
    running estimate of it (momentum as BN's) in evaluation; ``running_mean`` stays 0.
    """

    def forward(self, x: Tensor) -> Tensor:
        """The statistics in float32 or wider (as BN's under autocast); the output in the input's dtype.

        Training on the CPU by ``_ScaleOnlyBatchNorm``, elsewhere by the formula and autograd.
        """
        if not self.training:
            zero = torch.zeros_like(self.running_var)
            return nn.functional.batch_norm(x, zero, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        if x.device.type == "cpu":
            y, second = _ScaleOnlyBatchNorm.apply(x, self.weight, self.bias, self.eps)
        else:
            second = x.to(torch.promote_types(x.dtype, torch.float32)).square().mean((0, 2, 3))
            scale = (self.weight * torch.rsqrt(second + self.eps)).to(x.dtype)[None, :, None, None]
            y = torch.addcmul(self.bias.to(x.dtype)[None, :, None, None], x, scale)
        with torch.no_grad():
            self.running_var.lerp_(second.detach().to(self.running_var.dtype), self.momentum)
            self.num_batches_tracked.add_(1)
        return y


def norm_layer(norm: CnnNorm) -> Callable[[int], nn.Module]:
    """The normalisation layer of a number of channels, by option."""
    if norm == "bn":
        return nn.BatchNorm2d
    if norm == "bn_nocenter":
        return ScaleOnlyBatchNorm2d
    if norm == "none":
        return lambda channels: nn.Identity()
    raise ValueError(f"unknown normalisation {norm!r}; allowed: {', '.join(typing.get_args(CnnNorm))}")


def _channels(base: int, width: float) -> int:
    return max(1, round(base * width))


class Vgg19(nn.Module):
    """VGG19 (configuration E) for 32×32 inputs, with a one-layer head."""

    def __init__(self, norm: CnnNorm = "bn", width: float = 1.0, classes: int = 10) -> None:
        super().__init__()
        make_norm, layers, channels = norm_layer(norm), [], 3
        for entry in VGG19_LAYERS:
            if entry == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            out = _channels(entry, width)
            layers += [nn.Conv2d(channels, out, 3, padding=1), make_norm(out), nn.ReLU(inplace=True)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, classes)

    def last_hidden(self, x: Tensor) -> Tensor:
        return self.features(x).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.last_hidden(x))


class ResNet50(nn.Module):
    """ResNet-50 for 32×32 inputs: a 3×3 stride-1 stem, no max-pool, torchvision's Bottlenecks."""

    def __init__(self, norm: CnnNorm = "bn", width: float = 1.0, classes: int = 10) -> None:
        super().__init__()
        make_norm = norm_layer(norm)
        inplanes = _channels(64, width)
        self.stem = nn.Sequential(
            nn.Conv2d(3, inplanes, 3, padding=1, bias=False), make_norm(inplanes), nn.ReLU(inplace=True)
        )
        stages = []
        for i, blocks in enumerate(RESNET50_BLOCKS):
            planes, stride = _channels(64 * 2**i, width), 1 if i == 0 else 2
            for b in range(blocks):
                downsample = None
                if b == 0 and (stride != 1 or inplanes != planes * Bottleneck.expansion):
                    out = planes * Bottleneck.expansion
                    downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), make_norm(out))
                stages.append(Bottleneck(inplanes, planes, stride if b == 0 else 1, downsample, norm_layer=make_norm))
                inplanes = planes * Bottleneck.expansion
        self.stages = nn.Sequential(*stages)
        self.classifier = nn.Linear(inplanes, classes)

    def last_hidden(self, x: Tensor) -> Tensor:
        return self.stages(self.stem(x)).mean((2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.last_hidden(x))


MODELS: dict[str, type[nn.Module]] = {"vgg19": Vgg19, "resnet50": ResNet50}


def build_cnn(architecture: CnnArchitecture, norm: CnnNorm, width: float = 1.0, classes: int = 10) -> nn.Module:
    """A VGG19 or ResNet-50 with the given normalisation and channel-width multiplier."""
    if architecture not in MODELS:
        raise ValueError(f"unknown architecture {architecture!r}; allowed: {', '.join(MODELS)}")
    if width <= 0:
        raise ValueError(f"the width multiplier must be positive, got {width}")
    return MODELS[architecture](norm, width, classes)


def init_cnn(model: nn.Module, scheme: CnnScheme, generator: torch.Generator) -> nn.Module:
    """Draw every convolution's and linear layer's weights and biases, in place.

    ``pytorch``: PyTorch's default, U[−a, a] with a = 1/√fan_in (fan_in = input channels
    × kernel area); ``asymmetric``: U[0, 2a], the same variance a²/3 with mean a (the
    paper's Sec. 4, applied to every convolution and linear layer). Normalisation layers
    start at scale 1 and shift 0. Draws come from ``generator``, in the order of ``model.modules()``.
    """
    if scheme not in CNN_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r} for a CNN; allowed: {', '.join(CNN_SCHEMES)}")
    low = -1.0 if scheme == "pytorch" else 0.0
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d | nn.Linear):
                a = 1 / math.sqrt(layer.weight[0].numel())
                for p in (layer.weight, layer.bias):
                    if p is not None:
                        p.copy_((torch.rand(p.shape, generator=generator) * 2 + low) * a)
            elif isinstance(layer, nn.BatchNorm2d):
                layer.reset_parameters()
    return model


def initial_state(
    *, architecture: CnnArchitecture, norm: CnnNorm, scheme: CnnScheme, width: float, seed: RunSeed
) -> dict[str, Tensor]:
    """A CNN's initial state dict (the init stage). The convolutions and linear layers are
    drawn in the same order whatever the normalisation, from the run's ``cnn_init`` stream, so
    BN, BN without centring and no normalisation start from the same weights for the same
    seed and scheme."""
    return init_cnn(build_cnn(architecture, norm, width), scheme, torch_generator("cnn_init", seed)).state_dict()
