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


class ScaleOnlyBatchNorm2d(nn.BatchNorm2d):
    """BN without mean subtraction: x / √(E[x²] + ε) · scale + shift per channel.

    The second moment is taken over the batch and spatial positions in training, and a
    running estimate of it (momentum as BN's) in evaluation; ``running_mean`` stays 0.
    """

    def forward(self, x: Tensor) -> Tensor:
        """The statistics in float32 (as BN's under autocast); the output in the input's dtype."""
        if self.training:
            second = x.float().square().mean((0, 2, 3))
            with torch.no_grad():
                self.running_var.lerp_(second.detach(), self.momentum)
                self.num_batches_tracked.add_(1)
        else:
            second = self.running_var
        scale = (self.weight * torch.rsqrt(second + self.eps)).to(x.dtype)[None, :, None, None]
        return torch.addcmul(self.bias.to(x.dtype)[None, :, None, None], x, scale)


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
