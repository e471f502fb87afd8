"""Settings of the initiative defence and its named profiles (``paper``, ``cpu``, ``tiny``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

SNAPSHOTS = ("iteration", "update")
DISTANCES = ("l1", "l2")  # eqs. 7 and 9: art_initiative.attacks.initiative.losses.image_distance
SM_INITS = ("estimator", "fresh")
DISTILL_STARTS = ("face", "shared")
PG_GRADIENTS = ("plain", "sign")  # what PG's weights receive at its output x' (pg_step)
PG_OUTPUTS = ("tanh", "sign")  # the protection PG is trained for: x + eps * PG(x), or x + eps * sign(PG(x))


@dataclass
class InitiativeConfig:
    """Everything that defines a training run of :class:`~art_initiative.attacks.InitiativeDefense`.

    Loss weights use the paper's names: ``lambda_b`` (lambda, eq. 4), ``lambda_gp`` (lambda_1, eq. 5),
    ``lambda_bs`` / ``lambda_cyc`` / ``lambda_dom`` (lambda_2..4, eq. 6).
    """

    task: str = "attribute_editing"   # or "reenactment" (eq. 11, TM, facial mask)
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
    influence_distance: str = "l1"  # distance of eqs. 7 and 9: "l1" (the paper) or "l2" (mean squared error, what
    #                                 DSR thresholds); attribute editing only
    pg_gradient: str = "plain"   # "sign": PG's weights receive sign(dL_PG/dx') at its output instead of the gradient
    #                              itself (every pixel pushed equally, as an FGSM step would be); attribute editing
    pg_output: str = "tanh"      # "sign": PG is trained for (and generate publishes) clip(x + eps * sign(PG(x))),
    #                              the full budget, gradients straight through the sign (not the paper's: x +
    #                              eps * PG(x), PG ending in tanh); attribute editing
    n_critic: int = 5            # SM generator step every n_critic iterations (StarGAN)
    sm_lambda_id: float = 0.0    # identity term of the SM's StarGAN recipe (0 in StarGAN)
    pg_pattern: bool = False     # PG adds a learned per-pixel pattern before its tanh (a universal perturbation
    #                              for every face, the U-Net the face-specific rest; not the paper's)
    pg_width: int = 64
    pg_levels: int = 5
    sm_disc_width: int = 64
    critic_width: int = 64
    alternating: bool = True     # Algorithm 1; False: SM trained first (sm_pretrain_iterations), then frozen
    sm_pretrain_iterations: int = 0  # stage A alone before the first PG step (a warm start), in either mode
    domains_per_step: int = 5    # target domains sampled per PG step (all of them in the paper)
    distill_iterations: int = 0  # > 0: PG first regresses Ruiz PGD's perturbations on the SM for this many
    #                              iterations, then Algorithm 1 (not the paper's; attribute editing;
    #                              art_initiative.attacks.initiative.distill)
    distill_steps: int = 10      # the teacher's PGD steps (step 2 eps / distill_steps)
    distill_start: str = "face"  # the teacher's random start: one per face ("face") or one for every face
    #                              ("shared": the teacher is then a function of the face alone)
    augment_shift: int = 0       # > 0: random flip and shift (pixels) of x, x' before SM in the PG step
    eot: str = ""                # robust training: "jpeg,blur,resize,shift,photo" (any of them) draws one of these
    #                              online transforms (or none) per PG step and applies it to x and x' before SM
    #                              (art_initiative.preprocessing.eot; "photo": a full-size photo's round trip); "" off
    eot_identity: bool = True    # the draw includes no transform, with one transform's share; False: every PG step
    #                              is transformed
    enhancement: bool = True     # eq. 12: the influence loss on the previous iteration's SM as well
    snapshot: str = "iteration"  # eq. 12's previous SM (and D_A): "iteration" (the paper's words and its public
    #                              code: as they were when this iteration began) or "update" (the SM before its
    #                              latest generator step, with the current D_A: never equal to the current SM)
    sm_init: str = "estimator"   # SM starts from the estimator's weights, or "fresh" random ones (gray-box protocol)
    surrogate_digests: str = ""  # attribute editing: the weights digests (comma-separated) of the further frozen
    #                              surrogates PG is also trained against (InitiativeDefense(surrogates=...) sets
    #                              it; an ensemble, not the paper's); "" none
    tm_lr: float = 2e-4          # reenactment: step size of the temporary model TM (scaled by SM's Adam moments)
    tm_steps: int = 1            # reenactment: unrolled TM steps
    sm_lambda_l1: float = 100.0  # reenactment: L1 weight of the surrogate's pix2pix recipe
    mask_outside: float = 0.01   # reenactment: m(x) off the face
    eval_every: int = 500        # measure D(y, y') on a held-out batch and keep PG_best
    precision: str = "fp32"      # "bf16": autocast of forward passes and losses in fit and generate (the gradient
    #                              penalty and TM's unrolled steps stay fp32); may change on resume
    channels_last: bool = False  # channels-last layout of networks and batches (GPUs); may change on resume
    lr_decay_start: int = 0      # > 0: from this alternating iteration every learning rate falls linearly towards 0
    #                              at the last one (the public code's schedule: the last 100k of 200k); 0: constant
    #                              (the paper says nothing). May change on resume, as iterations may
    checkpoint_every: int = 1000
    seed: int = 0

    @property
    def saturated(self) -> bool:
        """True when PG is trained for the full-budget protection ``clip(x + eps * sign(PG(x)))``
        (``pg_output="sign"``)."""
        return self.pg_output == "sign"

    def validate(self) -> InitiativeConfig:
        """Raise ``ValueError`` naming the first bad setting."""
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (isinstance(v, bool) or not isinstance(v, int)):
                raise ValueError(f"{f.name} must be an int, got {v!r}.")
            if f.type in ("float", float) and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ValueError(f"{f.name} must be a number, got {v!r}.")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}.")
        positive = ("eps", "iterations", "tm_lr", "tm_steps", "batch_size", "pg_lr", "sm_lr", "critic_lr",
                    "n_critic", "pg_width", "pg_levels", "sm_disc_width", "critic_width", "eval_every",
                    "checkpoint_every", "domains_per_step", "distill_steps")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}.")
        for name in ("lambda_b", "lambda_gp", "lambda_bs", "lambda_cyc", "lambda_dom", "sm_lambda_id",
                     "sm_pretrain_iterations", "augment_shift", "sm_lambda_l1", "mask_outside",
                     "distill_iterations", "lr_decay_start"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}.")
        if self.eps > 1:
            raise ValueError(f"eps must be <= 1 for [-1, 1] images, got {self.eps!r}.")
        for name, allowed in (("snapshot", SNAPSHOTS), ("sm_init", SM_INITS), ("distill_start", DISTILL_STARTS),
                              ("influence_distance", DISTANCES),
                              ("pg_gradient", PG_GRADIENTS), ("pg_output", PG_OUTPUTS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}.")
        if self.task == "reenactment" and self.influence_distance != "l1":
            raise ValueError(f"influence_distance applies to attribute editing (eq. 11 is an L1 term), got "
                             f"{self.influence_distance!r} for reenactment.")
        if self.task == "reenactment" and self.pg_gradient != "plain":
            raise ValueError(f"pg_gradient applies to attribute editing, got {self.pg_gradient!r} for reenactment.")
        if self.task == "reenactment" and self.distill_iterations:
            raise ValueError(f"distill_iterations applies to attribute editing, got {self.distill_iterations!r} "
                             "for reenactment.")
        if self.surrogate_digests and (self.task == "reenactment" or not all(
                len(d) == 12 and all(ch in "0123456789abcdef" for ch in d) for d in self.surrogate_digests.split(","))):
            raise ValueError("surrogate_digests are set by InitiativeDefense(surrogates=...) (attribute editing): "
                             f"comma-separated 12-digit hex digests, got {self.surrogate_digests!r} for {self.task}.")
        if self.task == "reenactment" and self.pg_output != "tanh":
            raise ValueError(f"pg_output applies to attribute editing, got {self.pg_output!r} for reenactment.")
        from art_initiative.preprocessing.eot import parse_eot

        parse_eot(self.eot)
        from art_initiative.training.distributed import check_precision

        check_precision(self.precision)
        if self.lr_decay_start >= self.iterations:
            raise ValueError(f"lr_decay_start must be below iterations ({self.iterations}) or 0 (no decay), got "
                             f"{self.lr_decay_start!r}.")
        if not self.alternating and self.sm_pretrain_iterations == 0:
            raise ValueError("alternating=False trains the SM first: set sm_pretrain_iterations > 0.")
        return self


PROFILES: dict[str, InitiativeConfig] = {
    # The paper's settings (128x128 CelebA, 64-channel networks, lr 1e-4, lambdas 0.01/10/10/2.5/1).
    "paper": InitiativeConfig(),
    # Small networks and a faster PG, so that the same code trains on 2 CPU cores in about half an hour (32x32
    # images). The surrogate follows the forger's StarGAN recipe (no identity term, n_critic 5, lr 1e-4, a
    # discriminator 64 wide), as the harness's targets do, and is warmed up on clean data first (a random SM wastes
    # the short budget); the domain term of eq. 10 is off (with a trained D_A it sits near 60 and swamps eqs. 7 and
    # 9) and x, x' are flipped and shifted before SM in the PG step (input diversity). The PG is 32 wide, twice the
    # surrogate: the largest of the levers measured at 64 px (docs' results). No cycle term in eq. 6 (lambda_cyc=0):
    # a PG iteration costs 30% less and moves the forger about as far per iteration (docs' initiative page).
    "cpu": InitiativeConfig(iterations=800, pg_lr=1e-3, sm_lr=1e-4, critic_lr=2e-4, pg_width=32, pg_levels=3,
                            sm_disc_width=64, critic_width=16, eval_every=100, checkpoint_every=100,
                            sm_pretrain_iterations=2500, lambda_dom=0.0, lambda_cyc=0.0, augment_shift=2),
    # For tests: a few iterations of tiny networks.
    "tiny": InitiativeConfig(iterations=6, batch_size=4, pg_lr=1e-3, sm_lr=1e-3, critic_lr=1e-3, n_critic=2,
                             pg_width=4, pg_levels=2, sm_disc_width=4, critic_width=4, eval_every=3,
                             checkpoint_every=3),
}


# Reenactment (data-based): eps 0.02 and lr 2e-4 as in the paper; batch 4 frames; SM is pix2pix.
REENACTMENT_PROFILES: dict[str, InitiativeConfig] = {
    "paper": InitiativeConfig(task="reenactment", eps=0.02, iterations=20_000, batch_size=4, pg_lr=2e-4, sm_lr=2e-4,
                              critic_lr=2e-4),
    "cpu": InitiativeConfig(task="reenactment", eps=0.02, iterations=1500, batch_size=4, pg_lr=1e-3, sm_lr=2e-4,
                            critic_lr=2e-4, pg_width=16, pg_levels=3, sm_disc_width=16, critic_width=16,
                            sm_pretrain_iterations=1500, tm_lr=1e-3, eval_every=100, checkpoint_every=100),
    "tiny": InitiativeConfig(task="reenactment", eps=0.02, iterations=6, batch_size=2, pg_lr=1e-3, sm_lr=1e-3,
                             critic_lr=1e-3, pg_width=4, pg_levels=2, sm_disc_width=4, critic_width=4, eval_every=3,
                             checkpoint_every=3),
}

PROFILES_BY_TASK = {"attribute_editing": PROFILES, "reenactment": REENACTMENT_PROFILES}
TASKS = tuple(PROFILES_BY_TASK)


def make_config(profile: str | InitiativeConfig = "paper", task: str = "attribute_editing", **overrides: object
                ) -> InitiativeConfig:
    """A validated config from a profile name of ``task`` (or a config) with some fields replaced."""
    profiles = PROFILES_BY_TASK.get(task)
    if profiles is None:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    if isinstance(profile, InitiativeConfig):
        base = profile
    elif profile in profiles:
        base = profiles[profile]
    else:
        raise ValueError(f"profile must be one of {sorted(profiles)} or an InitiativeConfig, got {profile!r}.")
    if base.task != task:
        raise ValueError(f"the config is for task {base.task!r}, this defence is for {task!r}.")
    unknown = set(overrides) - {f.name for f in fields(InitiativeConfig)}
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; see InitiativeConfig.")
    return replace(base, **overrides).validate()


def parse_settings(pairs: list[str]) -> dict[str, object]:
    """``["iterations=300", "alternating=false"]`` -> typed overrides for :func:`make_config` (command line)."""
    types = {f.name: f.type for f in fields(InitiativeConfig)}
    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or name not in types:
            raise ValueError(f"settings must be KEY=VALUE with KEY one of {sorted(types)}, got {pair!r}.")
        kind = str(types[name])
        try:
            if kind == "str":
                out[name] = text
            elif kind == "bool":
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                out[name] = text.lower() in ("true", "1")
            else:
                out[name] = int(text) if kind == "int" else float(text)
        except ValueError:
            what = {"int": "an int", "float": "a number", "bool": "a bool (true or false)"}.get(kind, kind)
            raise ValueError(f"{name} must be {what}, got {text!r}.") from None
    return out
