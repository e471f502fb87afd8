"""The temporary model TM of the reenactment defence: differentiable training steps of the surrogate.

TM starts from SM's current weights and takes ``steps`` gradient steps on the protected frames ``x'`` with
``torch.func.functional_call``; the resulting weights (the infected model M') stay a function of ``x'``, so the
influence loss of eq. 11 computed with them has a gradient that reaches PG (Figure 2 of the paper).
"""

from __future__ import annotations

import torch
from torch.func import functional_call

Params = dict[str, torch.Tensor]


def unrolled_update(model: torch.nn.Module, z: torch.Tensor, x_target: torch.Tensor, lr: float, steps: int = 1,
                    scale: Params | None = None) -> tuple[Params, Params]:
    """TM's weights after ``steps`` differentiable steps on ``MSE(model(z), x_target)`` from ``model``'s weights.

    The loss inside TM is the MSE: with an L1 loss the step's derivative with respect to ``x_target`` is zero
    almost everywhere (the gradient of ``|a|`` is ``sign(a)``). ``model``'s own weights and buffers are not
    touched (buffers such as BatchNorm's running statistics are cloned).

    :param model: the surrogate SM (its current weights are TM's start).
    :param z: the guidance (landmark sketches) of the batch.
    :param x_target: the frames TM learns to produce: the protected ``x'``, part of the autograd graph.
    :param lr: TM's step size.
    :param steps: unrolled steps (k of the paper's "one (or k)").
    :param scale: optional per-parameter step scales, e.g. ``1 / (sqrt(v) + 1e-8)`` from SM's Adam second moments
        (detached), so that TM's step resembles the forger's Adam step without Adam's sign-like first step.
    :return: ``(params, buffers)`` of the infected model M', for ``functional_call(model, (params, buffers), z)``.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}.")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr!r}.")
    params = {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    for _ in range(steps):
        out = functional_call(model, (params, buffers), (z,))
        loss = ((out - x_target) ** 2).mean()
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p - lr * (g if scale is None else g * scale[n]) for (n, p), g in zip(params.items(), grads,
                                                                                           strict=True)}
    return params, buffers


def adam_step_scale(model: torch.nn.Module, optimizer: torch.optim.Adam, eps: float = 1e-8) -> Params | None:
    """``1 / (sqrt(v_hat) + eps)`` per parameter from ``optimizer``'s second moments (detached); ``None`` before
    the optimizer's first step."""
    out = {}
    for n, p in model.named_parameters():
        state = optimizer.state.get(p, {})
        if "exp_avg_sq" not in state:
            return None
        beta2 = optimizer.param_groups[0]["betas"][1]
        v_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
        out[n] = 1.0 / (v_hat.sqrt() + eps)
    return out
