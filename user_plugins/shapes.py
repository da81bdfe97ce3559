"""A user plugin: registers the `shapes` dataset with rtk_nb, without editing the package.

`params.yaml` loads it with `plugins: [user_plugins/shapes.py]` (paths are relative to the params file); the quick profile
(`profiles/smoke.yaml`) trains the whole study on it. From Python: `rtk_nb.pipeline.load_plugins(['user_plugins/shapes.py'])`.

`shapes` is procedural: ten outline-free shapes (disk, square, ring, cross, ...) drawn at a random place and size, a
bright colour on a dark one, with pixel noise, 32×32 RGB. The generator is seeded, so every machine builds the same
arrays; nothing is downloaded. Its cache records this file's code (rtk_nb.data.registration_digest): editing the
drawing code rebuilds the cache.
"""
import numpy as np
from rtk_nb.data import DatasetInfo, register_dataset

CLASSES = ('disk', 'square', 'ring', 'cross', 'x', 'diamond', 'triangle', 'hbar', 'vbar', 'frame')
N = {'train': 1500, 'test': 400}     # images per split (balanced)

def masks(dx: np.ndarray, dy: np.ndarray, r: float) -> list[np.ndarray]:
    "Boolean masks of the ten shapes of radius `r` on the offset grids `dx`, `dy` (class order of CLASSES)."
    ax, ay, d = np.abs(dx), np.abs(dy), np.hypot(dx, dy)
    w = r / 3
    return [d <= r, np.maximum(ax, ay) <= r * 0.85, (d <= r) & (d >= r * 0.55),
            ((ax <= w) & (ay <= r)) | ((ay <= w) & (ax <= r)), (np.abs(dx - dy) <= w * 1.2) & (d <= r) | (np.abs(dx + dy) <= w * 1.2) & (d <= r),
            ax + ay <= r, (dy <= r * 0.7) & (dy >= -r) & (ax <= (dy + r) * 0.55), (ay <= w) & (ax <= r), (ax <= w) & (ay <= r),
            (np.maximum(ax, ay) <= r * 0.85) & (np.maximum(ax, ay) >= r * 0.5)]

def draw(rng: np.random.Generator, label: int, size: int = 32) -> np.ndarray:
    "One uint8 3×size×size image of class `label`."
    r = rng.uniform(6, 11)
    cx, cy = rng.uniform(r, size - r, 2)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    m = masks(xx - cx, yy - cy, r)[label]
    bg, fg = rng.uniform(0, 70, 3), rng.uniform(170, 255, 3)        # a bright shape on a dark background
    img = np.where(m[None], fg[:, None, None], bg[:, None, None]) + rng.normal(0, 10, (3, size, size))
    return img.clip(0, 255).astype(np.uint8)

def convert(raw_dir, info) -> dict:
    "The converter rtk_nb.data.prepare calls: `{split: (x uint8 N×3×32×32, y int64 N)}`, the same on every machine."
    out = {}
    for i, split in enumerate(info.splits):
        rng = np.random.default_rng(1000 + i)
        y = np.arange(N[split]) % len(CLASSES)
        out[split] = np.stack([draw(rng, int(c)) for c in y]), y.astype(np.int64)
    return out

register_dataset(DatasetInfo(
    'shapes', len(CLASSES), (0.244, 0.241, 0.243), (0.261, 0.263, 0.263), True, ('train', 'test'), (),
    description='PLUGIN (user_plugins/shapes.py): 10 procedural shapes, 1,500 train / 400 test 32×32 RGB; no download.'),
    convert)
