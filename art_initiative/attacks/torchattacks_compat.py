"""The Ruiz disruption with torchattacks' machinery, and a recipe for stock ``torchattacks.PGD``.

torchattacks attacks classifiers on [0, 1] images. For a translator on [-1, 1] images, ``set_normalization_used
(mean=0.5, std=0.5)`` makes torchattacks take and return [-1, 1] images while it works in [0, 1] inside, so its
``eps`` and ``alpha`` are half of those of :class:`~art_initiative.attacks.RuizDisruption` (0.05 in [-1, 1] is
0.025 in [0, 1]). :class:`TorchattacksDisruption` takes them in the translator's units and converts.

Stock ``torchattacks.PGD`` hard-codes the (batch-mean) cross-entropy loss. :class:`DisruptionLogits` wraps a
translator so that its "logits" are ``[-MSE(G(x, c), reference), 100]`` per image: the cross-entropy with label
0 is then ``MSE + 100 + log(1 + exp(-MSE - 100))``, whose derivative in the MSE is 1 to float precision, so its
gradient is the disruption gradient divided by the batch size and stock PGD takes the Ruiz steps::

    objective = DisruptionLogits(translator, reference, conditions)
    pgd = torchattacks.PGD(objective, eps=0.05 / 2, alpha=0.01 / 2, steps=10, random_start=False)
    pgd.set_normalization_used(mean=[0.5] * 3, std=[0.5] * 3)
    x_adv = pgd(torch.as_tensor(x), torch.zeros(len(x), dtype=torch.long))
"""

from __future__ import annotations

import numpy as np
import torch
from torchattacks.attack import Attack

from art_initiative.attacks.references import DEFAULT_JITTER, jittered_reference
from art_initiative.attacks.ruiz import disruption_loss
from art_initiative.estimators import PyTorchImageTranslator


class _Conditioned(torch.nn.Module):
    """``x -> G(x, c)`` with fixed conditions, through the estimator's preprocessing."""

    def __init__(self, estimator: PyTorchImageTranslator, conditions: torch.Tensor | None) -> None:
        super().__init__()
        self.estimator = estimator
        self.net = estimator.model  # registered so that torchattacks finds the device and switches modes
        self.conditions = conditions

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.estimator.translate(x, self.conditions)


class DisruptionLogits(_Conditioned):
    """Translator wrapped as a two-class "classifier" whose cross-entropy for label 0 grows exactly like the
    disruption loss; see the module docstring for stock ``torchattacks.PGD``.

    :param estimator: the translator.
    :param reference: reference outputs (N, C, H, W), e.g. :func:`jittered_reference`.
    :param conditions: target attributes (N, c_dim) or (c_dim,) for a conditional model.
    """

    def __init__(self, estimator: PyTorchImageTranslator, reference: np.ndarray,
                 conditions: np.ndarray | None = None) -> None:
        n = len(reference)
        super().__init__(estimator, estimator.conditions_tensor(conditions, n))
        self.reference = torch.as_tensor(np.asarray(reference, dtype=np.float32), device=estimator.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        loss = disruption_loss(super().forward(x), self.reference)
        return torch.stack([-loss, torch.full_like(loss, 100.0)], dim=1)


class TorchattacksDisruption(Attack):
    """Ruiz et al.'s disruption as a torchattacks ``Attack`` (I-FGSM, or PGD with ``random_start``).

    Call it like any torchattacks attack, on [-1, 1] image tensors: ``attack(images, references)``; with
    ``references=None`` it uses the jittered clean outputs (as :class:`RuizDisruption` does for I-FGSM).

    :param estimator: the translator.
    :param eps: L-inf bound in the translator's units ([-1, 1]).
    :param alpha: step size in the translator's units.
    :param steps: number of steps.
    :param random_start: start from a uniform random point of the eps-ball (PGD) instead of ``x`` (I-FGSM).
    :param conditions: target attributes (N, c_dim) or (c_dim,) for a conditional model.
    :param reference_jitter: noise of the default reference; :class:`RuizDisruption`'s default.
    :param seed: seed of the reference noise.
    """

    def __init__(self, estimator: PyTorchImageTranslator, eps: float = 0.05, alpha: float = 0.01, steps: int = 10,
                 random_start: bool = False, conditions: np.ndarray | None = None,
                 reference_jitter: float = DEFAULT_JITTER, seed: int = 0) -> None:
        super().__init__("TorchattacksDisruption", _Conditioned(estimator, None))
        self.translator = estimator
        self.span = float(estimator.clip_values[1] - estimator.clip_values[0])
        lo = float(estimator.clip_values[0])
        self.eps, self.alpha, self.steps, self.random_start = eps / self.span, alpha / self.span, steps, random_start
        self.conditions = conditions
        self.reference_jitter, self.seed = reference_jitter, seed
        self.supported_mode = ["default"]
        # torchattacks then takes and returns images in the translator's range and attacks in [0, 1].
        self.set_normalization_used(mean=[-lo / self.span] * 3, std=[1.0 / self.span] * 3)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``images`` in [0, 1] (torchattacks has already undone the normalisation); ``labels``: references."""
        images = images.clone().detach().to(self.device)
        n = len(images)
        self.model.conditions = self.translator.conditions_tensor(self.conditions, n)
        if labels is None:
            x = self.normalize(images).cpu().numpy()
            labels = torch.as_tensor(jittered_reference(self.translator, x, self.conditions, self.reference_jitter,
                                                        self.seed))
        reference = labels.clone().detach().to(self.device).float()
        adv = images.clone().detach()
        if self.random_start:
            adv = torch.clamp(adv + torch.empty_like(adv).uniform_(-self.eps, self.eps), 0, 1).detach()
        for _ in range(self.steps):
            adv.requires_grad = True
            cost = disruption_loss(self.get_logits(adv), reference).sum()
            grad = torch.autograd.grad(cost, adv)[0]
            adv = adv.detach() + self.alpha * grad.sign()
            adv = torch.clamp(images + torch.clamp(adv - images, -self.eps, self.eps), 0, 1).detach()
        return adv
