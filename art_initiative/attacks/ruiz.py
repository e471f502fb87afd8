"""The baseline of the paper: Ruiz, Bargal and Sclaroff 2020, "Disrupting Deepfakes", as an ART evasion attack.

Per image, FGSM / I-FGSM / PGD in L-inf maximise the distance between the manipulation model's output on the
perturbed image and a reference (by default the clean output ``G(x, c)``):

    x'_{t+1} = clip(x + clip(x'_t + eps_step * sign(grad L(x'_t)) - x, -eps, eps), clip_min, clip_max)

with ``L = mean((G(x', c) - y)^2)`` (descended instead in ``targeted`` mode). With ``surrogates``, the losses of
further models (each against its own clean output) are added to the estimator's: one perturbation for an
ensemble, as CMUA-Watermark attacks several editors at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import torch
from art.attacks.attack import EvasionAttack
from tqdm.auto import tqdm

from art_initiative.attacks.references import DEFAULT_JITTER, jittered_reference
from art_initiative.estimators import PyTorchImageTranslator, check_companions
from art_initiative.preprocessing.transforms import gaussian_blur
from art_initiative.utils.validation import check_images

METHODS = ("fgsm", "ifgsm", "pgd")
CLASS_MODES = ("joint", "iterative")


def disruption_loss(output: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Ruiz et al.'s objective per image: the mean squared error between ``G(x', c)`` and the reference, (N,)."""
    return ((output - reference) ** 2).flatten(1).mean(dim=1)


def linf_step(x_adv: torch.Tensor, x: torch.Tensor, grad: torch.Tensor, step: float, eps: float,
              clip_values: tuple[float, float]) -> torch.Tensor:
    """One signed-gradient ascent step, then projection onto the eps-ball around ``x`` and the valid range."""
    stepped = torch.clamp(x_adv + step * grad.sign(), *clip_values)
    return x + torch.clamp(stepped - x, -eps, eps)


def ascent_step(x_adv: torch.Tensor, x: torch.Tensor, objective: Callable[[torch.Tensor], torch.Tensor], step: float,
                eps: float, clip_values: tuple[float, float]) -> torch.Tensor:
    """One step of I-FGSM / PGD: the gradient of ``objective`` (a scalar to increase) at ``x_adv``, then
    :func:`linf_step`; returns the new ``x_adv``, detached."""
    x_adv = x_adv.detach().requires_grad_(True)
    grad = torch.autograd.grad(objective(x_adv), x_adv)[0]
    return linf_step(x_adv.detach(), x, grad, step, eps, clip_values).detach()


class RuizDisruption(EvasionAttack):
    """Ruiz et al.'s per-image disruption of an image translator (FGSM, I-FGSM, PGD; L-inf).

    | Paper link: https://arxiv.org/abs/2003.01279

    :param estimator: the model attacked (white-box) or a surrogate (see :func:`transfer_disruption`).
    :param method: ``"fgsm"`` (one step of size ``eps`` from ``x``), ``"ifgsm"`` (``max_iter`` steps of
        ``eps_step`` from ``x``) or ``"pgd"`` (the same from a uniform random point of the eps-ball).
    :param eps: L-inf bound, in the units of the images ([-1, 1]: the baseline's 0.05).
    :param eps_step: step size of I-FGSM and PGD.
    :param max_iter: number of steps of I-FGSM and PGD.
    :param targeted: descend towards a given target image ``y`` instead of ascending away from a reference.
    :param class_mode: with several target classes, ``"joint"`` sums the losses of all classes at every
        step (the "joint class-transferable" attack); ``"iterative"`` takes one step per class in turn at
        every iteration (the "iterative class-transferable" attack).
    :param blur_sigmas: if given, the blur-robust variant: each step averages the loss over the unblurred
        input and Gaussian blurs of these sigmas (kernel ``blur_kernel``), an expectation over transformations.
    :param reference_jitter: FGSM and I-FGSM start at ``x`` where the gradient of the default objective is
        exactly zero; their default reference is the clean output plus seeded Gaussian noise of this standard
        deviation (the same as :func:`jittered_reference`). PGD's random start makes it unnecessary.
    :param surrogates: further :class:`PyTorchImageTranslator` models (the same input shape, ``c_dim`` and
        ``clip_values`` as ``estimator``) whose disruption losses are summed with the estimator's at every step,
        each against its own reference (its clean output, jittered as the estimator's; a given ``y`` serves all):
        an ensemble attack, for example on the defender's own fine-tunings of a released model. Default: none.
    :param batch_size: images per step.
    :param random_seed: seeds the PGD start and the reference jitter.
    :param verbose: progress bar.
    """

    attack_params = EvasionAttack.attack_params + [
        "method", "eps", "eps_step", "max_iter", "targeted", "class_mode", "blur_sigmas", "blur_kernel",
        "reference_jitter", "surrogates", "batch_size", "random_seed", "verbose",
    ]
    _estimator_requirements = (PyTorchImageTranslator,)

    def __init__(self, estimator: PyTorchImageTranslator, method: str = "pgd", eps: float = 0.05,
                 eps_step: float = 0.01, max_iter: int = 10, targeted: bool = False, class_mode: str = "joint",
                 blur_sigmas: Sequence[float] | None = None, blur_kernel: int = 11,
                 reference_jitter: float = DEFAULT_JITTER,
                 surrogates: Sequence[PyTorchImageTranslator] | None = None, batch_size: int = 32,
                 random_seed: int = 0, verbose: bool = True) -> None:
        super().__init__(estimator=estimator)
        self.method = method
        self.eps = eps
        self.eps_step = eps_step
        self.max_iter = max_iter
        self._targeted = targeted
        self.class_mode = class_mode
        self.blur_sigmas = None if blur_sigmas is None else tuple(blur_sigmas)
        self.blur_kernel = blur_kernel
        self.reference_jitter = reference_jitter
        self.surrogates = () if surrogates is None else tuple(surrogates)
        self.batch_size = batch_size
        self.random_seed = random_seed
        self.verbose = verbose
        self._check_params()

    @property
    def estimator(self) -> PyTorchImageTranslator:
        """The generator the attack differentiates through."""
        return self._estimator

    def _check_params(self) -> None:
        def number(name: str, value: object, positive: bool) -> None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}.")
            if value < 0 or (positive and value == 0):
                raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}.")

        def integer(name: str, value: object) -> None:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}.")

        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")
        number("eps", self.eps, positive=True)
        number("eps_step", self.eps_step, positive=True)
        number("reference_jitter", self.reference_jitter, positive=False)
        integer("max_iter", self.max_iter)
        integer("batch_size", self.batch_size)
        integer("blur_kernel", self.blur_kernel)
        if self.blur_kernel % 2 == 0:
            raise ValueError(f"blur_kernel must be odd, got {self.blur_kernel}.")
        if self.class_mode not in CLASS_MODES:
            raise ValueError(f"class_mode must be one of {CLASS_MODES}, got {self.class_mode!r}.")
        if not isinstance(self._targeted, bool):
            raise ValueError(f"targeted must be a bool, got {self._targeted!r}.")
        if self.blur_sigmas is not None:
            if not self.blur_sigmas:
                raise ValueError("blur_sigmas must be None or a non-empty sequence of positive numbers.")
            for s in self.blur_sigmas:
                number("blur_sigmas", s, positive=True)
        if not isinstance(self.verbose, bool):
            raise ValueError(f"verbose must be a bool, got {self.verbose!r}.")
        check_companions(self.estimator, self.surrogates)

    @property
    def models(self) -> tuple[PyTorchImageTranslator, ...]:
        """The estimator, then the further ``surrogates``: every model whose loss the attack increases."""
        return (self.estimator, *self.surrogates)

    # ------------------------------------------------------------------ inputs
    def _class_list(self, conditions: np.ndarray | Sequence[np.ndarray] | None, n: int) -> list[np.ndarray | None]:
        """Target classes as a list of (c_dim,) or (N, c_dim) arrays (one None for an unconditional model)."""
        est = self.estimator
        if est.c_dim == 0:
            if conditions is not None:
                raise ValueError("conditions must be None for an unconditional model (c_dim=0).")
            return [None]
        if conditions is None:
            if est.conditions is None:
                raise ValueError(f"conditions are required: shape (N, {est.c_dim}) or ({est.c_dim},) for one target "
                                 f"class, or a list / (K, N, {est.c_dim}) array of K target classes.")
            conditions = est.conditions
        if isinstance(conditions, np.ndarray) and conditions.ndim in (1, 2):
            classes = [conditions]
        else:
            classes = list(conditions)
        if not classes:
            raise ValueError("conditions must hold at least one target class, got an empty list.")
        for k, c in enumerate(classes):
            if np.ndim(c) not in (1, 2):
                raise ValueError(f"conditions[{k}] must have shape (N, {est.c_dim}) or ({est.c_dim},), "
                                 f"got {np.shape(c)}.")
            est.conditions_tensor(c, n)  # validates width and rows; raises naming the problem
        return classes

    def _references(self, x: np.ndarray, y: np.ndarray | None, classes: list[np.ndarray | None],
                    jitter: bool = True, model: PyTorchImageTranslator | None = None) -> list[np.ndarray]:
        """One reference (or target) per class: ``y``, else ``model``'s (default: the estimator's) clean outputs."""
        n_out = (len(x), *x.shape[1:])
        if y is not None:
            y = np.asarray(y, dtype=np.float32)
            if y.shape == n_out:
                return [y] * len(classes)
            if y.shape == (len(classes), *n_out):
                return list(y)
            raise ValueError(f"y must have the model's output shape {n_out} or ({len(classes)}, *{n_out}) for "
                             f"{len(classes)} target classes, got {y.shape}.")
        if self.targeted:
            raise ValueError("y (the target images) is required when targeted=True.")
        sigma = self.reference_jitter if jitter and self.method in ("fgsm", "ifgsm") else 0.0
        return [jittered_reference(model or self.estimator, x, c, sigma, self.random_seed + k)
                for k, c in enumerate(classes)]

    # ------------------------------------------------------------------ attack
    def _objective(self, x_adv: torch.Tensor, conds: list[torch.Tensor | None], refs: list[list[torch.Tensor]]
                   ) -> torch.Tensor:
        """The summed disruption loss over classes, views and models; ``refs[m][k]``: model m's reference for
        class k."""
        views = [x_adv] if self.blur_sigmas is None else [x_adv] + [
            gaussian_blur(x_adv, s, self.blur_kernel) for s in self.blur_sigmas]
        total = x_adv.new_zeros(())
        for model, model_refs in zip(self.models, refs, strict=True):
            for c, ref in zip(conds, model_refs, strict=True):
                for v in views:
                    total = total + disruption_loss(model.translate(v, c), ref).sum()
        total = total / len(views)
        return -total if self.targeted else total

    def _attack_batch(self, x: torch.Tensor, conds: list[torch.Tensor | None], refs: list[list[torch.Tensor]],
                      generator: torch.Generator, start_at: torch.Tensor | None = None) -> torch.Tensor:
        clip = self.estimator.clip_values
        clip_values = (float(clip[0]), float(clip[1]))
        if start_at is not None:  # a given start (a learned defence's output), projected onto the eps-ball
            x_adv = x + torch.clamp(torch.clamp(start_at, *clip_values) - x, -self.eps, self.eps)
        elif self.method == "pgd":
            start = torch.empty_like(x).uniform_(-self.eps, self.eps, generator=generator)
            x_adv = torch.clamp(x + start, *clip_values)
        else:
            x_adv = x.clone()
        steps = 1 if self.method == "fgsm" else self.max_iter
        step_size = self.eps if self.method == "fgsm" else self.eps_step
        groups = [list(range(len(conds)))] if self.class_mode == "joint" else [[k] for k in range(len(conds))]
        for _ in range(steps):
            for group in groups:
                objective = partial(self._objective, conds=[conds[k] for k in group],
                                    refs=[[model_refs[k] for k in group] for model_refs in refs])
                x_adv = ascent_step(x_adv, x, objective, step_size, self.eps, clip_values)
        return x_adv.detach()

    def generate(self, x: np.ndarray, y: np.ndarray | None = None,
                 conditions: np.ndarray | Sequence[np.ndarray] | None = None, x_init: np.ndarray | None = None,
                 **kwargs: object) -> np.ndarray:
        """Perturb ``x`` so that the model's outputs move away from the reference (or towards a target).

        :param x: images (N, C, H, W) in the estimator's ``clip_values``.
        :param y: optional reference (untargeted) or target (targeted) outputs: (N, C, H, W) for all target
            classes, or (K, N, C, H, W) one per class. Default: the clean outputs ``G(x, c_k)``.
        :param conditions: the target class ``c`` as (N, c_dim) or (c_dim,), or K classes as a list of those
            or a (K, N, c_dim) array (combined by ``class_mode``). Default: the estimator's conditions.
        :param x_init: where the steps start instead of ``x`` (FGSM, I-FGSM) or a random point (PGD), shape of
            ``x``, projected onto the eps-ball around ``x``: e.g. a learned defence's protection, which the steps
            refine. With it the default reference is the clean output without jitter (the gradient is not zero
            there).
        :return: the protected images, float32, within ``eps`` of ``x`` in L-inf and inside ``clip_values``.
        """
        est = self.estimator
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=est.clip_values)
        if x_init is not None:
            x_init = check_images(x_init, name="x_init", channels=est.input_shape[0], shape=est.input_shape,
                                  value_range=est.clip_values)
            if x_init.shape != x.shape:
                raise ValueError(f"x_init must have the shape of x {x.shape}, got {x_init.shape}.")
        classes = self._class_list(conditions, len(x))
        modes = [m.model.training for m in self.models]  # given back at the end (predict leaves eval mode)
        out = np.empty_like(x)
        generator = torch.Generator(device=est.device)
        generator.manual_seed(self.random_seed)
        try:
            refs = [self._references(x, y, classes, jitter=x_init is None, model=m) for m in self.models]
            for m in self.models:
                m.model.eval()
            starts = range(0, len(x), self.batch_size)
            for start in tqdm(starts, desc=f"Ruiz {self.method}", disable=not self.verbose):
                sl = slice(start, min(start + self.batch_size, len(x)))
                xb = torch.as_tensor(x[sl], device=est.device)
                conds = [None if c is None else est.conditions_tensor(c if np.ndim(c) == 1 else c[sl], len(xb))
                         for c in classes]
                rb = [[torch.as_tensor(r[sl], device=est.device) for r in model_refs] for model_refs in refs]
                start_at = None if x_init is None else torch.as_tensor(x_init[sl], device=est.device)
                out[sl] = self._attack_batch(xb, conds, rb, generator, start_at).cpu().numpy()
        finally:
            for m, mode in zip(self.models, modes, strict=True):
                m.model.train(mode)
        return out
