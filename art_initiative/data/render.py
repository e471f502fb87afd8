"""A procedural face renderer driven by 68 iBUG landmarks, shared by the synthetic data sources.

Geometry lives in unit coordinates (x right, y down, both in [0, 1]). :func:`face_landmarks` places the 68
points from identity, attribute and expression parameters; :func:`render_face` paints the face from those
same points (face oval, eyes, brows, nose, lips), so the landmarks are exact by construction. Rendering is
supersampled twice and box-filtered, which anti-aliases every edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from skimage.draw import line_aa, polygon

HAIR_COLOURS = {
    "black": (0.07, 0.06, 0.06),
    "blond": (0.92, 0.78, 0.42),
    "brown": (0.44, 0.27, 0.14),
    "grey": (0.62, 0.62, 0.64),
    "red": (0.66, 0.24, 0.10),
}


@dataclass
class Identity:
    """Who the person is: factors independent of the attributes."""

    face_width: float = 0.25       # half-width of the face, unit coordinates
    face_height: float = 0.31      # half-height of the face
    skin: tuple[float, float, float] = (0.86, 0.68, 0.55)
    eye_spacing: float = 0.095     # half-distance between the eye centres
    eye_size: float = 0.045        # half-width of an eye
    iris: tuple[float, float, float] = (0.30, 0.20, 0.12)
    nose_length: float = 0.11
    mouth_width: float = 0.085     # half-width of the mouth
    background: tuple[tuple[float, float, float], tuple[float, float, float]] = ((0.3, 0.4, 0.6), (0.7, 0.75, 0.8))
    background_angle: float = 0.0
    light_angle: float = 0.0       # direction the light comes from
    light_strength: float = 0.15
    shirt: tuple[float, float, float] = (0.2, 0.3, 0.5)
    fringe: float = 0.0            # hairline shape, -1..1
    other_hair: str = "grey"       # hair colour used when no hair-colour attribute is set
    texture_seed: int = 0


@dataclass
class Look:
    """Attribute-driven appearance (what StarGAN-like models translate)."""

    hair: str = "brown"            # key of HAIR_COLOURS
    male: bool = False
    young: bool = True
    eyeglasses: bool = False
    smiling: bool = False


@dataclass
class Pose:
    """Expression and head pose (what reenactment drives)."""

    mouth_open: float = 0.0        # 0 closed .. 1 wide open
    eyes_open: float = 1.0         # 0 closed .. 1 open
    yaw: float = 0.0               # -1..1, turns the features sideways
    pitch: float = 0.0             # -1..1, moves the features up or down
    roll: float = 0.0              # radians
    shift: tuple[float, float] = field(default=(0.0, 0.0))


def _superellipse(cx: float, cy: float, a: float, b: float, angles: np.ndarray, power: float) -> np.ndarray:
    c, s = np.cos(angles), np.sin(angles)
    e = 2.0 / power
    return np.stack([cx + a * np.sign(c) * np.abs(c) ** e, cy + b * np.sign(s) * np.abs(s) ** e], axis=1)


def face_centre(ident: Identity, pose: Pose) -> tuple[float, float]:
    """The face's centre (x, y) in unit coordinates: the image centre, a little low, moved by the pose's shift."""
    return 0.5 + pose.shift[0], 0.54 + pose.shift[1]


def face_landmarks(ident: Identity, look: Look, pose: Pose) -> np.ndarray:
    """The 68 iBUG landmarks (x, y) in unit coordinates for this identity, look and pose, shape (68, 2)."""
    cx, cy = face_centre(ident, pose)
    fw, fh = ident.face_width, ident.face_height
    pts = np.zeros((68, 2))
    # Jaw 0-16 from the image-left ear round the chin to the image-right ear; squarer for men.
    pts[0:17] = _superellipse(cx, cy, fw, fh, np.linspace(np.pi, 0.0, 17), 2.6 if look.male else 2.0)
    pts[0:17, 1] = np.maximum(pts[0:17, 1], cy - 0.02)
    dx, dy = pose.yaw * fw * 0.25, pose.pitch * fh * 0.18
    ex, ey, es = ident.eye_spacing, cy - fh * 0.22 + dy, ident.eye_size
    eh = es * 0.55 * max(pose.eyes_open, 0.05)
    for start, centre, outer_first in ((36, cx - ex + dx, True), (42, cx + ex + dx, False)):
        left, right = centre - es, centre + es
        upper = ey - eh
        lower = ey + eh * 0.8
        if outer_first:  # 36 outer(left) corner, 37-38 upper, 39 inner corner, 40-41 lower
            pts[start:start + 6] = [(left, ey), (centre - es / 3, upper), (centre + es / 3, upper),
                                    (right, ey), (centre + es / 3, lower), (centre - es / 3, lower)]
        else:  # 42 inner(left) corner, 43-44 upper, 45 outer corner, 46-47 lower
            pts[start:start + 6] = [(left, ey), (centre - es / 3, upper), (centre + es / 3, upper),
                                    (right, ey), (centre + es / 3, lower), (centre - es / 3, lower)]
    # Brows 17-21 and 22-26: arcs above the eyes, lower and flatter for men.
    by = ey - es * (1.25 if look.male else 1.5)
    for start, centre in ((17, cx - ex + dx), (22, cx + ex + dx)):
        xs = np.linspace(centre - es * 1.2, centre + es * 1.2, 5)
        arch = (0.35 if look.male else 0.6) * es * np.sin(np.linspace(0.2, np.pi - 0.2, 5))
        pts[start:start + 5] = np.stack([xs, by - arch], axis=1)
    # Nose: bridge 27-30 and base 31-35.
    nose_top, nose_tip = ey - eh * 0.5, ey + ident.nose_length
    nx = cx + dx * 1.3
    pts[27:31] = np.stack([np.full(4, nx), np.linspace(nose_top, nose_tip, 4)], axis=1)
    pts[31:36] = np.stack([nx + np.linspace(-1, 1, 5) * es * 0.75,
                           nose_tip + es * np.array([0.25, 0.4, 0.45, 0.4, 0.25])], axis=1)
    # Mouth: outer 48-59, inner 60-67. Smiling widens the mouth, lifts the corners and parts the lips.
    mw = ident.mouth_width * (1.18 if look.smiling else 1.0)
    my = nose_tip + (fh * 0.55 - ident.nose_length) * 0.5 + es * 0.9 + dy * 0.3
    mx = cx + dx
    lift = es * (0.55 if look.smiling else 0.0)
    gap = es * (0.25 * look.smiling + 0.9 * pose.mouth_open)
    lip = es * 0.28
    t = np.linspace(-1, 1, 7)
    upper_outer = np.stack([mx + t * mw, my - lip - gap / 2 + lift * t**2 - lift], axis=1)
    lower_t = np.linspace(1, -1, 7)[1:-1]
    lower_outer = np.stack([mx + lower_t * mw * 0.95,
                            my + lip + gap / 2 - lift + lift * 0.4 * lower_t**2 + lip * 0.6 * (1 - lower_t**2)], axis=1)
    upper_outer[:, 1] += lip * 0.35 * np.cos(t * np.pi * 1.5) ** 2 * (np.abs(t) < 0.5)  # cupid's bow dip
    pts[48:55] = upper_outer
    pts[55:60] = lower_outer
    ti = np.linspace(-1, 1, 5)
    corner_l, corner_r = upper_outer[0] + [mw * 0.12, 0], upper_outer[-1] - [mw * 0.12, 0]
    inner_up = np.stack([mx + ti[1:4] * mw * 0.7, my - gap / 2 - lift + lift * 0.8 * ti[1:4] ** 2], axis=1)
    inner_lo = np.stack([mx + ti[3:0:-1] * mw * 0.7, my + gap / 2 - lift + lift * 0.8 * ti[3:0:-1] ** 2], axis=1)
    pts[60] = corner_l
    pts[61:64] = inner_up
    pts[64] = corner_r
    pts[65:68] = inner_lo
    if pose.roll:
        c, s = np.cos(pose.roll), np.sin(pose.roll)
        rel = pts - [cx, cy]
        pts = np.stack([cx + c * rel[:, 0] - s * rel[:, 1], cy + s * rel[:, 0] + c * rel[:, 1]], axis=1)
    return pts


class _Canvas:
    """An RGB float canvas in [0, 1] with alpha-blended fills, in supersampled pixel coordinates."""

    def __init__(self, size: int, supersample: int = 2) -> None:
        self.ss = supersample
        self.n = size * supersample
        self.img = np.zeros((self.n, self.n, 3))
        coords = (np.arange(self.n) + 0.5) / self.n
        self.yy, self.xx = np.meshgrid(coords, coords, indexing="ij")

    def px(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return pts[:, 1] * self.n - 0.5, pts[:, 0] * self.n - 0.5

    def mask_polygon(self, pts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        m = np.zeros((self.n, self.n), dtype=bool) if out is None else out
        r, c = polygon(*self.px(pts), shape=m.shape)
        m[r, c] = True
        return m

    def mask_ellipse(self, cx: float, cy: float, a: float, b: float) -> np.ndarray:
        return ((self.xx - cx) / a) ** 2 + ((self.yy - cy) / b) ** 2 <= 1.0

    def fill(self, mask: np.ndarray, colour: np.ndarray | tuple[float, ...], alpha: float = 1.0) -> None:
        """Blend ``colour`` (RGB, or an HxWx3 array) over the pixels where the boolean ``mask`` is set."""
        sel = np.nonzero(mask)
        colour = np.asarray(colour)
        src = colour[sel] if colour.ndim == 3 else colour
        self.img[sel] = self.img[sel] * (1 - alpha) + src * alpha

    def stroke(self, pts: np.ndarray, colour: tuple[float, ...], width: float, closed: bool = False) -> None:
        """Draw a polyline of ``width`` (unit coordinates) as quads, so thickness scales with the image."""
        seq = np.vstack([pts, pts[:1]]) if closed else pts
        mask = np.zeros((self.n, self.n), dtype=bool)
        for p, q in zip(seq[:-1], seq[1:], strict=True):
            d = q - p
            norm = np.hypot(*d)
            if norm == 0:
                continue
            nrm = np.array([-d[1], d[0]]) / norm * width / 2
            quad = np.array([p + nrm, q + nrm, q - nrm, p - nrm])
            self.mask_polygon(quad, out=mask)
        self.fill(mask, colour)

    def lines_aa(self, pts: np.ndarray, closed: bool = False) -> None:
        seq = np.vstack([pts, pts[:1]]) if closed else pts
        r, c = self.px(seq)
        r, c = np.round(r).astype(int), np.round(c).astype(int)
        for i in range(len(seq) - 1):
            rr, cc, val = line_aa(r[i], c[i], r[i + 1], c[i + 1])
            ok = (rr >= 0) & (rr < self.n) & (cc >= 0) & (cc < self.n)
            self.img[rr[ok], cc[ok]] = np.maximum(self.img[rr[ok], cc[ok]], val[ok, None])

    def result(self) -> np.ndarray:
        s = self.ss
        out = self.img.reshape(self.n // s, s, self.n // s, s, 3).mean(axis=(1, 3))
        return np.clip(out, 0.0, 1.0)


def _hair_colour(ident: Identity, look: Look) -> np.ndarray:
    colour = np.array(HAIR_COLOURS[look.hair])
    if not look.young:  # greying
        colour = 0.7 * colour + 0.3 * np.array(HAIR_COLOURS["grey"])
    return colour


def render_face(size: int, ident: Identity, look: Look, pose: Pose | None = None,
                landmarks: np.ndarray | None = None, noise: float = 0.015) -> np.ndarray:
    """Render one face as an HWC float array in [0, 1].

    :param size: output side in pixels.
    :param landmarks: precomputed :func:`face_landmarks` (computed when None).
    :param noise: standard deviation of the sensor noise (seeded by the identity).
    """
    pose = pose or Pose()
    pts = face_landmarks(ident, look, pose) if landmarks is None else landmarks
    cv = _Canvas(size)
    cx, cy = face_centre(ident, pose)
    fw, fh = ident.face_width, ident.face_height
    # Background: a two-colour gradient.
    ang = ident.background_angle
    t = np.clip(0.5 + (cv.xx - 0.5) * np.cos(ang) + (cv.yy - 0.5) * np.sin(ang), 0, 1)[..., None]
    bg0, bg1 = np.array(ident.background[0]), np.array(ident.background[1])
    cv.img = bg0 * (1 - t) + bg1 * t
    hair = _hair_colour(ident, look)
    skin = np.array(ident.skin) * (1.0 if look.young else 0.93)
    # Long hair behind the head (women).
    if not look.male:
        back = cv.mask_ellipse(cx, cy + fh * 0.35, fw * 1.45, fh * 1.35) & (cv.yy < cy + fh * 1.25)
        cv.fill(back, hair * 0.85)
    # Neck and shirt.
    neck = (np.abs(cv.xx - cx) < fw * 0.45) & (cv.yy > cy)
    cv.fill(neck, skin * 0.85)
    shirt = cv.mask_ellipse(cx, 1.12 + pose.shift[1], fw * 2.2, 0.28)
    cv.fill(shirt, ident.shirt)
    # Face: the jaw landmarks closed by a forehead arc, with directional shading.
    forehead = _superellipse(cx, cy, fw, fh * 1.12, np.linspace(0.0, -np.pi, 15)[1:-1], 2.0)
    if pose.roll:
        c, s = np.cos(pose.roll), np.sin(pose.roll)
        rel = forehead - [cx, cy]
        forehead = np.stack([cx + c * rel[:, 0] - s * rel[:, 1], cy + s * rel[:, 0] + c * rel[:, 1]], axis=1)
    face_poly = np.vstack([pts[0:17], forehead])
    face = cv.mask_polygon(face_poly)
    shade = 1.0 + ident.light_strength * (np.cos(ident.light_angle) * (cv.xx - cx) / fw
                                          + np.sin(ident.light_angle) * (cv.yy - cy) / fh)
    cv.fill(face, skin * shade[..., None])
    # Beard shadow (men): darker lower face.
    if look.male:
        beard = face & (cv.yy > pts[33, 1] + 0.01) & (np.abs(cv.xx - cx) < fw * 0.95)
        cv.fill(beard, skin * 0.62, alpha=0.55)
    # Age: forehead wrinkles, nasolabial folds and eye bags.
    if not look.young:
        line_w = 0.008
        for k in range(3):
            yk = cy - fh * (0.55 + 0.1 * k)
            xs = np.linspace(cx - fw * 0.5, cx + fw * 0.5, 6)
            cv.stroke(np.stack([xs, yk + 0.006 * np.sin(xs * 40)], 1), tuple(skin * 0.55), line_w)
        for side in (-1, 1):
            cv.stroke(np.array([pts[31 if side < 0 else 35] + [side * 0.015, 0.0],
                                pts[48 if side < 0 else 54] + [side * 0.02, 0.01]]), tuple(skin * 0.55), line_w)
            eye = pts[36:42] if side < 0 else pts[42:48]
            bag = eye[[3, 4, 5, 0]] if side < 0 else eye[[0, 5, 4, 3]]
            cv.stroke(bag + [0, ident.eye_size * 0.45], tuple(skin * 0.6), line_w)
    # Hair on top: the part of a slightly larger head above the hairline.
    hairline = cy - fh * (0.62 - 0.08 * ident.fringe * np.cos((cv.xx - cx) / fw * 3.0))
    top = cv.mask_ellipse(cx, cy - fh * 0.05, fw * 1.1, fh * 1.2) & (cv.yy < hairline)
    if look.male:  # short hair: no side locks
        top &= cv.yy < cy - fh * 0.35
    else:  # side locks framing the face
        sides = cv.mask_ellipse(cx, cy - fh * 0.05, fw * 1.12, fh * 1.2) & (np.abs(cv.xx - cx) > fw * 0.86)
        top |= sides & (cv.yy < cy + fh * 0.5)
    cv.fill(top, hair)
    # Eyes: sclera, iris, pupil; eyelid line (heavier for women).
    for eye in (pts[36:42], pts[42:48]):
        sclera = cv.mask_polygon(eye)
        cv.fill(sclera, (0.95, 0.95, 0.93))
        ec = eye.mean(axis=0)
        iris = cv.mask_ellipse(ec[0], ec[1], ident.eye_size * 0.42, ident.eye_size * 0.42) & sclera
        cv.fill(iris, ident.iris)
        pupil = cv.mask_ellipse(ec[0], ec[1], ident.eye_size * 0.18, ident.eye_size * 0.18) & sclera
        cv.fill(pupil, (0.02, 0.02, 0.02))
        cv.stroke(eye[[0, 1, 2, 3]], (0.1, 0.07, 0.06), 0.004 if look.male else 0.008)
    # Brows.
    brow_w = 0.022 if look.male else 0.012
    brow_colour = tuple(np.minimum(hair, 0.5) * 0.8)
    cv.stroke(pts[17:22], brow_colour, brow_w)
    cv.stroke(pts[22:27], brow_colour, brow_w)
    # Nose: bridge shading and nostrils.
    cv.stroke(pts[28:31] + [0.008, 0], tuple(skin * 0.78), 0.006)
    cv.stroke(pts[31:36], tuple(skin * 0.6), 0.006)
    # Mouth: lips, then the opening (teeth when smiling, dark when talking).
    lips = cv.mask_polygon(pts[48:60])
    lip_colour = (0.72, 0.33, 0.35) if not look.male else tuple(skin * np.array([0.9, 0.68, 0.66]))
    cv.fill(lips, lip_colour)
    opening = cv.mask_polygon(pts[60:68])
    cv.fill(opening, (0.25, 0.05, 0.06))
    if look.smiling:
        teeth = opening & (cv.yy < pts[[61, 62, 63], 1].max() + (pts[66, 1] - pts[62, 1]) * 0.6)
        cv.fill(teeth, (0.97, 0.96, 0.92))
    # Eyeglasses: two rims and a bridge.
    if look.eyeglasses:
        rim_w = 0.012
        for eye in (pts[36:42], pts[42:48]):
            ec = eye.mean(axis=0)
            a, b = ident.eye_size * 1.55, ident.eye_size * 1.25
            lens = cv.mask_ellipse(ec[0], ec[1], a, b)
            cv.fill(lens, (0.7, 0.8, 0.9), alpha=0.18)
            cv.fill(cv.mask_ellipse(ec[0], ec[1], a + rim_w / 2, b + rim_w / 2)
                    & ~cv.mask_ellipse(ec[0], ec[1], a - rim_w / 2, b - rim_w / 2), (0.05, 0.05, 0.07))
        left, right = pts[36:42].mean(0), pts[42:48].mean(0)
        cv.stroke(np.array([left + [ident.eye_size * 1.5, -0.01], right - [ident.eye_size * 1.5, 0.01]]),
                  (0.05, 0.05, 0.07), rim_w)
    out = cv.result()
    if noise > 0:
        rng = np.random.default_rng(ident.texture_seed)
        out = np.clip(out + rng.normal(0.0, noise, out.shape), 0.0, 1.0)
    return out


def render_sketch(size: int, landmarks: np.ndarray) -> np.ndarray:
    """Landmark sketch (white polylines on black) of the 68 points, HWC float in [0, 1]."""
    cv = _Canvas(size, supersample=2)
    groups = [(slice(0, 17), False), (slice(17, 22), False), (slice(22, 27), False), (slice(27, 31), False),
              (slice(31, 36), False), (slice(36, 42), True), (slice(42, 48), True), (slice(48, 60), True),
              (slice(60, 68), True)]
    for sl, closed in groups:
        cv.lines_aa(landmarks[sl], closed=closed)
    return cv.result()
