"""``PyTorchImageTranslator``: an ART estimator for image-to-image models ``G(x, c)`` and ``G(z)``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from art.estimators.pytorch import PyTorchEstimator
from tqdm.auto import trange

from art_initiative.utils.validation import check_conditions, check_images, check_positive_int

if TYPE_CHECKING:
    from art.defences.preprocessor import Preprocessor


class PyTorchImageTranslator(PyTorchEstimator):
    """ART estimator for image-to-image translation models (StarGAN-like ``G(x, c)``, pix2pix-like ``G(z)``).

    Inputs and outputs are NCHW float32 numpy arrays in ``clip_values`` ([-1, 1] by default).

    **Conditions.** A conditional model (``c_dim > 0``) needs target attributes ``c`` (one-hot or multi-hot).
    ``predict``, ``loss_gradient`` and ``compute_loss`` take them as ``conditions=``, either once for the batch,
    shape ``(c_dim,)``, or per sample, shape ``(N, c_dim)``. ART's attacks call ``loss_gradient(x, y)`` on
    slices of the data without passing anything else, so conditions can also be set on the estimator, with
    :meth:`set_conditions` or the :meth:`conditioning` context manager, and are then used by every call that
    does not pass its own. A condition of shape ``(c_dim,)`` survives ART's batching unchanged; per-sample
    conditions of shape ``(N, c_dim)`` are matched to the batch by position, so run the ART attack with
    ``batch_size >= N`` (a batch of another size raises a ``ValueError`` instead of silently mismatching).

    **Gradients.** ``loss_gradient(x, y)`` is d/dx of the per-image mean squared error between ``G(x, c)`` and
    the reference ``y``, through any ``PreprocessorPyTorch`` defences. At ``y = G(x, c)`` this gradient is
    exactly zero, so sign-gradient attacks started at ``x`` do not move: give them a jittered reference or a
    random start (see the Ruiz baseline in :mod:`art_initiative.attacks`).
    """

    estimator_params = PyTorchEstimator.estimator_params + ["input_shape", "c_dim"]

    def __init__(
        self,
        model: torch.nn.Module,
        input_shape: tuple[int, int, int],
        c_dim: int = 0,
        clip_values: tuple[float, float] = (-1.0, 1.0),
        preprocessing_defences: Preprocessor | list[Preprocessor] | None = None,
        device_type: str = "gpu",
    ) -> None:
        """
        :param model: the translator, called as ``model(x, c)`` when ``c_dim > 0`` and ``model(x)`` otherwise.
        :param input_shape: per-image shape (C, H, W).
        :param c_dim: number of target attributes; 0 for an unconditional model.
        :param clip_values: (min, max) of the images.
        :param preprocessing_defences: ART preprocessors applied before the model; ``PreprocessorPyTorch``
            ones keep the gradient path.
        :param device_type: ``"gpu"`` (CUDA when available) or ``"cpu"``.
        """
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
        if len(tuple(input_shape)) != 3 or any(int(d) < 1 for d in input_shape):
            raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {input_shape!r}.")
        if isinstance(c_dim, bool) or not isinstance(c_dim, int) or c_dim < 0:
            raise ValueError(f"c_dim must be a non-negative int, got {c_dim!r}.")
        if clip_values is None or len(clip_values) != 2 or not clip_values[0] < clip_values[1]:
            raise ValueError(f"clip_values must be (min, max) with min < max, got {clip_values!r}.")
        if device_type not in ("gpu", "cpu"):
            raise ValueError(f"device_type must be 'gpu' or 'cpu', got {device_type!r}.")
        super().__init__(
            model=model,
            clip_values=(float(clip_values[0]), float(clip_values[1])),
            channels_first=True,
            preprocessing_defences=preprocessing_defences,
            preprocessing=None,  # explicit: otherwise ART inserts a numpy standardisation that breaks the torch path
            device_type=device_type,
        )
        self._input_shape = tuple(int(d) for d in input_shape)
        self._c_dim = c_dim
        self._conditions: np.ndarray | None = None
        self._model.to(self._device)

    # ----------------------------------------------------------------- properties
    @classmethod
    def from_architecture(cls, arch: str, image_size: int, width: int = 16, c_dim: int = 0,
                          device_type: str = "gpu", seed: int | None = None) -> PyTorchImageTranslator:
        """A translator around a freshly initialised network of the model registry (``models.build_model``).

        :param arch: a generator of the registry: ``res6``, ``res9``, ``cnet``, ``unet128``, ``unet256``.
        :param image_size: height and width of the (square, RGB) images.
        :param width: the network's base width.
        :param c_dim: number of target attributes; 0 for an unconditional (pix2pix-like) model.
        :param device_type: ``"gpu"`` (CUDA when available) or ``"cpu"``.
        :param seed: seeds torch's global generator right before the weights are drawn, so the same seed gives the
            same fresh network; ``None`` draws from the generator's current state.
        """
        from art_initiative.models import build_model

        if seed is not None:
            torch.manual_seed(seed)
        model = build_model(arch, image_size=image_size, width=width, c_dim=c_dim)
        return cls(model, (3, image_size, image_size), c_dim=c_dim, device_type=device_type)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-image shape (C, H, W)."""
        return self._input_shape

    @property
    def c_dim(self) -> int:
        """Number of target attributes (0 for an unconditional model)."""
        return self._c_dim

    @property
    def device(self) -> torch.device:
        """The torch device the model runs on."""
        return self._device

    @property
    def conditions(self) -> np.ndarray | None:
        """Conditions set with :meth:`set_conditions`, used when a call passes none."""
        return self._conditions

    # ----------------------------------------------------------------- conditions
    def set_conditions(self, conditions: np.ndarray | None) -> None:
        """Set the target attributes used by calls that pass none (``(c_dim,)`` or ``(N, c_dim)``; None clears)."""
        self._conditions = None if conditions is None else check_conditions(conditions, self._c_dim)

    @contextlib.contextmanager
    def conditioning(self, conditions: np.ndarray) -> Iterator[PyTorchImageTranslator]:
        """Context manager: set conditions for the duration of a block (e.g. around an ART attack's generate)."""
        previous = self._conditions
        self.set_conditions(conditions)
        try:
            yield self
        finally:
            self._conditions = previous

    def _resolve_conditions(self, conditions: np.ndarray | None, n: int) -> torch.Tensor | None:
        if self._c_dim == 0:
            if conditions is not None:
                raise ValueError(
                    f"conditions must be None for an unconditional model (c_dim=0), got {type(conditions).__name__}."
                )
            return None
        source = "conditions"
        if conditions is None:
            conditions, source = self._conditions, "the estimator's conditions (set_conditions)"
            if conditions is None:
                raise ValueError(
                    f"conditions are required: c_dim={self._c_dim}; pass conditions of shape (N, {self._c_dim}) or "
                    f"({self._c_dim},), or call set_conditions() before running an ART attack."
                )
        c = check_conditions(conditions, self._c_dim, name=source)
        if c.ndim == 2 and c.shape[0] != n:
            raise ValueError(
                f"{source} has {c.shape[0]} rows but the batch has {n} images. Per-sample conditions are matched by "
                f"position: run ART attacks with batch_size >= N, or use one condition of shape ({self._c_dim},)."
            )
        return torch.tensor(np.broadcast_to(c, (n, self._c_dim)), device=self._device)

    # ----------------------------------------------------------------- core
    def _check_x(self, x: Any, name: str = "x") -> np.ndarray:
        return check_images(x, name=name, channels=self._input_shape[0], shape=self._input_shape,
                            value_range=self.clip_values)

    def _forward(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return self._model(x) if c is None else self._model(x, c)

    def predict(self, x: np.ndarray, conditions: np.ndarray | None = None, batch_size: int = 128,
                training_mode: bool = False, **kwargs: Any) -> np.ndarray:
        """Translate images.

        :param x: images (N, C, H, W) in ``clip_values``.
        :param conditions: target attributes (N, c_dim) or (c_dim,); defaults to the estimator's conditions.
        :param batch_size: images per forward pass.
        :param training_mode: run the model in train mode (BatchNorm batch statistics, dropout).
        :return: translated images, same shape as ``x``, float32.
        """
        x = self._check_x(x)
        batch_size = check_positive_int(batch_size, "batch_size")
        c_all = self._resolve_conditions(conditions, len(x))
        self._model.train(mode=training_mode)
        out = np.empty_like(x)
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                end = min(start + batch_size, len(x))
                xb, _ = self._apply_preprocessing(x[start:end], y=None, fit=False)
                xb_t = torch.as_tensor(np.asarray(xb, dtype=np.float32), device=self._device)
                cb = None if c_all is None else c_all[start:end]
                out[start:end] = self._forward(xb_t, cb).cpu().numpy()
        return out

    def translate(self, x: torch.Tensor, conditions: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable ``G(x, c)`` on tensors, through the preprocessing defences (for torch-side attacks).

        :param x: images (N, C, H, W) on :attr:`device`.
        :param conditions: (N, c_dim) tensor on :attr:`device`, or None for an unconditional model.
        """
        x_in, _ = self._apply_preprocessing(x, y=None, fit=False, no_grad=False)
        return self._forward(x_in.float(), conditions)

    def conditions_tensor(self, conditions: np.ndarray | None, n: int) -> torch.Tensor | None:
        """Validated conditions for ``n`` images as an (n, c_dim) tensor on :attr:`device` (None if c_dim = 0)."""
        return self._resolve_conditions(conditions, n)

    def _loss_and_input(self, x: np.ndarray, y: np.ndarray, conditions: np.ndarray | None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._check_x(x)
        y = check_images(y, name="y", channels=None, shape=None, value_range=None)
        c = self._resolve_conditions(conditions, len(x))
        x_t = torch.tensor(x, device=self._device, requires_grad=True)
        out = self.translate(x_t, c)
        if tuple(y.shape) != tuple(out.shape):
            raise ValueError(f"y must have the shape of the model's output {tuple(out.shape)}, got {tuple(y.shape)}.")
        y_t = torch.as_tensor(y, device=self._device)
        per_image = ((out - y_t) ** 2).flatten(1).mean(dim=1)
        return per_image, x_t

    def compute_loss(self, x: np.ndarray, y: np.ndarray, conditions: np.ndarray | None = None,
                     **kwargs: Any) -> np.ndarray:
        """Per-image mean squared error between ``G(x, c)`` and ``y``, shape (N,)."""
        self._model.eval()
        with torch.no_grad():
            per_image, _ = self._loss_and_input(x, y, conditions)
        return per_image.cpu().numpy()

    def loss_gradient(self, x: np.ndarray, y: np.ndarray, conditions: np.ndarray | None = None,
                      training_mode: bool = False, **kwargs: Any) -> np.ndarray:
        """Gradient w.r.t. ``x`` of each image's mean squared error between ``G(x, c)`` and ``y``.

        Each image's gradient depends only on its own loss (the per-image losses are summed), so the result does
        not depend on how ART batches the data.

        :param x: images (N, C, H, W).
        :param y: reference images of the model's output shape (e.g. ``predict(x)`` of the clean images).
        :param conditions: target attributes; defaults to the estimator's conditions.
        :return: gradients, shape of ``x``, float32.
        """
        self._model.train(mode=training_mode)
        per_image, x_t = self._loss_and_input(x, y, conditions)
        self._model.zero_grad(set_to_none=True)
        per_image.sum().backward()
        grad = x_t.grad.detach().cpu().numpy()
        self._model.zero_grad(set_to_none=True)
        return grad.astype(np.float32)

    def fit(self, x: np.ndarray, y: np.ndarray, batch_size: int = 16, nb_epochs: int = 1,
            conditions: np.ndarray | None = None, optimizer: torch.optim.Optimizer | None = None,
            loss: str = "l1", verbose: bool = False, **kwargs: Any) -> None:
        """Supervised fit of ``G(x, c)`` to targets ``y`` (pix2pix's reconstruction term alone).

        Adversarial training recipes (StarGAN, pix2pix with its PatchGAN) are in :mod:`art_initiative.training`.

        :param x: inputs (N, C, H, W).
        :param y: target images, shape of the model's output.
        :param conditions: target attributes for conditional models.
        :param optimizer: defaults to Adam(lr 2e-4, betas (0.5, 0.999)).
        :param loss: ``"l1"`` or ``"mse"``.
        :param verbose: show a progress bar.
        """
        x = self._check_x(x)
        y = check_images(y, name="y", channels=None, value_range=self.clip_values)
        if len(y) != len(x):
            raise ValueError(f"y must hold one target per image of x ({len(x)}), got {len(y)}.")
        if loss not in ("l1", "mse"):
            raise ValueError(f"loss must be 'l1' or 'mse', got {loss!r}.")
        batch_size = check_positive_int(batch_size, "batch_size")
        nb_epochs = check_positive_int(nb_epochs, "nb_epochs")
        c_all = self._resolve_conditions(conditions, len(x))
        opt = optimizer or torch.optim.Adam(self._model.parameters(), lr=2e-4, betas=(0.5, 0.999))
        loss_fn = torch.nn.functional.l1_loss if loss == "l1" else torch.nn.functional.mse_loss
        self._model.train()
        for _ in trange(nb_epochs, desc="fit", disable=not verbose):
            order = np.random.permutation(len(x))
            for start in range(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                xb_t = torch.as_tensor(x[idx], device=self._device)
                xb, _ = self._apply_preprocessing(xb_t, y=None, fit=True, no_grad=False)
                cb = None if c_all is None else c_all[torch.as_tensor(idx, device=self._device)]
                out = self._forward(xb.float(), cb)
                value = loss_fn(out, torch.as_tensor(y[idx], device=self._device))
                opt.zero_grad(set_to_none=True)
                value.backward()
                opt.step()
        self._model.eval()

    def get_activations(self, x: np.ndarray, layer: int | str, batch_size: int = 128,
                        framework: bool = False) -> np.ndarray | torch.Tensor:
        """Output of one submodule (by name in ``layer_names`` or index) for images ``x``.

        Uses the estimator's conditions for conditional models.
        """
        names = self.layer_names or []
        if isinstance(layer, int):
            if not 0 <= layer < len(names):
                raise ValueError(f"layer index must be in [0, {len(names)}), got {layer}.")
            layer = names[layer]
        if layer not in names:
            raise ValueError(f"layer must be one of layer_names (e.g. {names[:3]}), got {layer!r}.")
        module = dict(self._model.named_modules())[layer]
        captured: list[torch.Tensor] = []
        handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out.detach()))
        try:
            self.predict(x, batch_size=batch_size)
        finally:
            handle.remove()
        acts = torch.cat(captured)
        return acts if framework else acts.cpu().numpy()

    @property
    def layer_names(self) -> list[str] | None:
        """Names of the model's submodules, as accepted by :meth:`get_activations`."""
        return [name for name, _ in self._model.named_modules() if name]


def check_companions(estimator: PyTorchImageTranslator, models: Any, name: str = "surrogates") -> None:
    """Check that further models can stand beside ``estimator`` in one loss (an ensemble): each is a
    :class:`PyTorchImageTranslator` with the estimator's ``input_shape``, ``c_dim``, ``clip_values`` and device.

    :param models: the further models (a sequence).
    :param name: the argument's name in the error messages.
    :raises ValueError: naming ``name[k]``, what the estimator has and what came in.
    """
    for k, model in enumerate(models):
        if not isinstance(model, PyTorchImageTranslator):
            raise ValueError(f"{name}[{k}] must be a PyTorchImageTranslator, got {type(model).__name__}.")
        for attr in ("input_shape", "c_dim", "clip_values"):
            want, got = getattr(estimator, attr), getattr(model, attr)
            if np.shape(want) != np.shape(got) or not np.array_equal(want, got):
                raise ValueError(f"{name}[{k}] must have the estimator's {attr} {want}, got {got}.")
        if model.device != estimator.device:
            raise ValueError(f"{name}[{k}] must be on the estimator's device {estimator.device}, got {model.device}.")
