"""Settings of the initiative defence and its named profiles (``paper``, ``cpu``, ``tiny``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass
class InitiativeConfig:
    """Everything that defines a training run of :class:`~art_initiative.attacks.InitiativeDefense`.

    Loss weights use the paper's names: ``lambda_b`` (lambda, eq. 4), ``lambda_gp`` (lambda_1, eq. 5),
    ``lambda_bs`` / ``lambda_cyc`` / ``lambda_dom`` (lambda_2..4, eq. 6).
    """

    eps: float = 0.05
    iterations: int = 200_000
    batch_size: int = 16
    pg_lr: float = 1e-4
    sm_lr: float = 1e-4
    critic_lr: float = 1e-4
    lambda_b: float = 0.01
    lambda_gp: float = 10.0
    lambda_bs: float = 10.0
    lambda_cyc: float = 2.5
    lambda_dom: float = 1.0
    n_critic: int = 5            # SM generator step every n_critic iterations (StarGAN)
    sm_lambda_id: float = 0.0    # identity term of the SM's StarGAN recipe (0 in StarGAN)
    pg_width: int = 64
    pg_levels: int = 5
    sm_disc_width: int = 64
    critic_width: int = 64
    alternating: bool = True     # Algorithm 1; False: SM trained first (sm_pretrain_iterations), then frozen
    sm_pretrain_iterations: int = 0
    enhancement: bool = True     # eq. 12: the influence loss on the previous iteration's SM as well
    eval_every: int = 500        # measure D(y, y') on a held-out batch and keep PG_best
    checkpoint_every: int = 1000
    seed: int = 0

    def validate(self) -> InitiativeConfig:
        """Raise ``ValueError`` naming the first bad setting."""
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (isinstance(v, bool) or not isinstance(v, int)):
                raise ValueError(f"{f.name} must be an int, got {v!r}.")
            if f.type in ("float", float) and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ValueError(f"{f.name} must be a number, got {v!r}.")
        positive = ("eps", "iterations", "batch_size", "pg_lr", "sm_lr", "critic_lr", "n_critic", "pg_width",
                    "pg_levels", "sm_disc_width", "critic_width", "eval_every", "checkpoint_every")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}.")
        for name in ("lambda_b", "lambda_gp", "lambda_bs", "lambda_cyc", "lambda_dom", "sm_lambda_id",
                     "sm_pretrain_iterations"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}.")
        if self.eps > 1:
            raise ValueError(f"eps must be <= 1 for [-1, 1] images, got {self.eps!r}.")
        if not self.alternating and self.sm_pretrain_iterations == 0:
            raise ValueError("alternating=False trains the SM first: set sm_pretrain_iterations > 0.")
        return self


PROFILES: dict[str, InitiativeConfig] = {
    # The paper's settings (128x128 CelebA, 64-channel networks, lr 1e-4, lambdas 0.01/10/10/2.5/1).
    "paper": InitiativeConfig(),
    # Small networks and faster rates, so that the same code trains on 2 CPU cores in minutes (32x32 images).
    "cpu": InitiativeConfig(iterations=1500, pg_lr=1e-3, sm_lr=2e-4, critic_lr=2e-4, n_critic=2, sm_lambda_id=10.0,
                            pg_width=16, pg_levels=3, sm_disc_width=16, critic_width=16, eval_every=100,
                            checkpoint_every=250),
    # For tests: a few iterations of tiny networks.
    "tiny": InitiativeConfig(iterations=6, batch_size=4, pg_lr=1e-3, sm_lr=1e-3, critic_lr=1e-3, n_critic=2,
                             pg_width=4, pg_levels=2, sm_disc_width=4, critic_width=4, eval_every=3,
                             checkpoint_every=3),
}


def make_config(profile: str | InitiativeConfig = "paper", **overrides: object) -> InitiativeConfig:
    """A validated config from a profile name (or a config) with some fields replaced."""
    if isinstance(profile, InitiativeConfig):
        base = profile
    elif profile in PROFILES:
        base = PROFILES[profile]
    else:
        raise ValueError(f"profile must be one of {sorted(PROFILES)} or an InitiativeConfig, got {profile!r}.")
    unknown = set(overrides) - {f.name for f in fields(InitiativeConfig)}
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; see InitiativeConfig.")
    return replace(base, **overrides).validate()
