"""One perturbation for every face (not in the paper): a universal disruption of an image translator.

A control for the learned defence and a baseline of its own. PG computes its perturbation from the face, in one
forward pass; a universal perturbation does not look at the face at all. It is learned once on the defender's faces
by signed-gradient ascent on Ruiz et al.'s objective summed over the edit requests (as CMUA-Watermark learns one
watermark across editors), and published by adding it: no network at protection time. If PG moves a forger no
further than the universal pattern does, PG is not using the face.

    delta <- clip(delta + eps_step * sign(grad_delta sum_k mean((G(x + delta, c_k) - G(x, c_k))^2)), -eps, eps)

over random batches of the training faces, from a seeded uniform start in the eps-ball.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from art.attacks.attack import EvasionAttack
from tqdm.auto import trange

from art_initiative.attacks.ruiz import disruption_loss
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.utils.validation import check_images, check_positive_int


class UniversalDisruption(EvasionAttack):
    """A universal L-inf perturbation that disrupts an image translator's outputs for every face.

    :param estimator: the model the pattern is learned on (the defender's surrogate).
    :param eps: L-inf bound, in the units of the images ([-1, 1]: the baseline's 0.05).
    :param eps_step: size of each signed-gradient step on the pattern.
    :param max_iter: steps, each on a random batch of the training faces.
    :param batch_size: faces per step.
    :param random_seed: seeds the start and the batches.
    :param verbose: a progress bar while the pattern is learned.
    """

    attack_params = EvasionAttack.attack_params + ["eps", "eps_step", "max_iter", "batch_size", "random_seed",
                                                   "verbose"]
    _estimator_requirements = (PyTorchImageTranslator,)

    def __init__(self, estimator: PyTorchImageTranslator, eps: float = 0.05, eps_step: float = 0.005,
                 max_iter: int = 500, batch_size: int = 16, random_seed: int = 0, verbose: bool = True) -> None:
        super().__init__(estimator=estimator)
        self.eps = eps
        self.eps_step = eps_step
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_seed = random_seed
        self.verbose = verbose
        self.pattern: np.ndarray | None = None
        self._check_params()

    @property
    def estimator(self) -> PyTorchImageTranslator:
        """The generator the pattern is computed on."""
        return self._estimator

    def _check_params(self) -> None:
        for name in ("eps", "eps_step"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not 0 < v <= 1:
                raise ValueError(f"{name} must be a number in (0, 1], got {v!r}.")
        check_positive_int(self.max_iter, "max_iter")
        check_positive_int(self.batch_size, "batch_size")
        if isinstance(self.random_seed, bool) or not isinstance(self.random_seed, (int, np.integer)):
            raise ValueError(f"random_seed must be an int, got {self.random_seed!r}.")

    def fit(self, x: np.ndarray, conditions: Sequence[np.ndarray]) -> UniversalDisruption:
        """Learn the pattern on faces ``x`` and their edit requests.

        :param x: the training faces (N, C, H, W) in the estimator's ``clip_values``.
        :param conditions: the edit requests whose forgeries the pattern disrupts, K arrays of shape (N, c_dim)
            (their losses are summed).
        :return: self, with ``pattern`` (C, H, W), float32, within ``eps``.
        """
        est = self.estimator
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=est.clip_values)
        conditions = [np.asarray(c, dtype=np.float32) for c in conditions]
        if not conditions or any(c.shape != (len(x), est.c_dim) for c in conditions):
            raise ValueError(f"conditions must be a non-empty list of ({len(x)}, {est.c_dim}) arrays, got shapes "
                             f"{[np.shape(c) for c in conditions]}.")
        clip = tuple(float(v) for v in est.clip_values)
        rng = np.random.default_rng(self.random_seed)
        generator = torch.Generator().manual_seed(self.random_seed)
        delta = torch.empty(tuple(x.shape[1:])).uniform_(-self.eps, self.eps, generator=generator).to(est.device)
        mode = est.model.training
        est.model.eval()
        try:
            for _ in trange(self.max_iter, desc="universal pattern", disable=not self.verbose):
                idx = rng.choice(len(x), size=min(self.batch_size, len(x)), replace=False)
                xb = torch.as_tensor(x[idx], device=est.device)
                conds = [torch.as_tensor(c[idx], device=est.device) for c in conditions]
                with torch.no_grad():
                    references = [est.translate(xb, c) for c in conds]
                d = delta.detach().requires_grad_(True)
                x_adv = torch.clamp(xb + d, *clip)
                loss = sum(disruption_loss(est.translate(x_adv, c), ref).mean()
                           for c, ref in zip(conds, references, strict=True))
                grad = torch.autograd.grad(loss, d)[0]
                delta = torch.clamp(delta + self.eps_step * grad.sign(), -self.eps, self.eps)
        finally:
            est.model.train(mode)
        self.pattern = delta.cpu().numpy().astype(np.float32)
        return self

    def generate(self, x: np.ndarray, y: np.ndarray | None = None,
                 conditions: Sequence[np.ndarray] | None = None, **kwargs: object) -> np.ndarray:
        """``clip(x + pattern)``. Without a learned pattern, learn it on ``x`` itself first (as ART's universal
        perturbation does), which needs ``conditions``.

        :param x: images (N, C, H, W) in the estimator's ``clip_values``.
        :param conditions: the edit requests (see :meth:`fit`); only used when no pattern was learned yet.
        :return: the protected images, float32, within ``eps`` of ``x``.
        """
        est = self.estimator
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=est.clip_values)
        if self.pattern is None:
            if conditions is None:
                raise ValueError("generate needs conditions (the edit requests) when no pattern was learned yet: "
                                 "call fit(x_train, conditions) first or pass conditions.")
            self.fit(x, conditions)
        return np.clip(x + self.pattern[None], *est.clip_values).astype(np.float32)
