"""Short digests that key cached models and training runs by what they were made from."""

from __future__ import annotations

import hashlib

import numpy as np
import torch


def digest(*arrays: np.ndarray) -> str:
    """A short SHA-1 of the arrays' bytes, to key cached models by the data they were trained on."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def module_digest(module: torch.nn.Module) -> str:
    """:func:`digest` of a module's weights (every tensor of its state dict, in order)."""
    return digest(*(t.detach().float().cpu().numpy() for t in module.state_dict().values()))
