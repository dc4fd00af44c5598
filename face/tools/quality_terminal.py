#!/usr/bin/python3
"""The quality-aware decision under the terminal protocol, from `face-eval --scores` files.

Rebuilds the terminal protocol of `face-eval --protocol terminal` (face/src/eval.cpp:
enrol from k = 2 consecutive images of every rotation of an identity's images, the template
the normalised mean of their embeddings; genuine checks: every window of n = 3 consecutive
images after the enrolment images; impostor checks: every cyclic window of 3 of every other
identity; a probe image the gate refused is unusable; a check with no usable image is a
reject) from the per-pair cosine scores: a template (a + b) / |a + b| scores a probe p as
(s(a, p) + s(b, p)) / sqrt(2 + 2 s(a, b)).

A quality-aware rule accepts a check when one of its usable probes p scores at or above
t_small if E(p) < E0, else t_large, where E(p) is the smallest eye distance (pixels) among
the template's images and the probe: a small face gives less evidence, so it must clear a
higher bar. Fitted on one set (the pair of thresholds with the lowest FRR whose FAR is within
the set's target, then the lowest FAR, then the lowest thresholds: a zero-error fit lands on the
lowest bar that still accepts no impostor), reported on the other, both ways round.

Usage: quality_terminal.py ATT_SCORES.csv LFW_SCORES.csv [--e0 36] [--json]
(the CSVs from `tta-agent face-eval --all-pairs DIR --protocol terminal --scores FILE`).
Checks itself: with one threshold of 0.42 it must reproduce face-eval's own terminal counts.
Needs numpy (Debian: python3-numpy); evaluation only, not part of the build.
"""

import argparse
import csv
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np

K, N = 2, 3


def load(path):
    images = {}  # path -> (usable, eye_px)
    score = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for side in ("a", "b"):
                p = row[side]
                if p not in images:
                    ok = row[f"quality_{side}"] == "ok"
                    eye = row[f"eye_px_{side}"]
                    images[p] = (ok, float(eye) if eye else math.nan)
            if row["score"] != "":
                s = float(row["score"])
                score[(row["a"], row["b"])] = s
                score[(row["b"], row["a"])] = s
    ids = defaultdict(list)
    for p in images:
        ids[os.path.basename(os.path.dirname(p))].append(p)
    # face::list_face_set: identities by name, each identity's image paths sorted as strings.
    return [sorted(ids[name]) for name in sorted(ids)], images, score


def checks(ids, images, score):
    """(genuine, impostor): arrays of shape (checks, N, 2) of (score, E) per probe, NaN score
    for an unusable probe."""
    genuine, impostor = [], []
    for i, imgs in enumerate(ids):
        m = len(imgs)
        if m < K + N:
            continue
        for rot in range(m):
            enrol = [imgs[(rot + j) % m] for j in range(K)]
            usable = [e for e in enrol if images[e][0]]
            if not usable or len(usable) * 2 < K:
                continue  # enrolment refused
            templ_eye = min(images[e][1] for e in usable)

            def probe(p):
                if not images[p][0]:
                    return (math.nan, math.nan)
                if len(usable) == 1:
                    s = score[(usable[0], p)]
                else:
                    a, b = usable
                    s = (score[(a, p)] + score[(b, p)]) / math.sqrt(2 + 2 * score[(a, b)])
                return (s, min(templ_eye, images[p][1]))

            for off in range(K, m - N + 1):
                genuine.append([probe(imgs[(rot + off + j) % m]) for j in range(N)])
            for t, other in enumerate(ids):
                if t == i or len(other) < N:
                    continue
                mo = len(other)
                for start in range(mo):
                    impostor.append([probe(other[(start + j) % mo]) for j in range(N)])
    return np.array(genuine, dtype=float), np.array(impostor, dtype=float)


def accepted(c, t_small, t_large, e0):
    s, e = c[..., 0], c[..., 1]
    thr = np.where(e < e0, t_small, t_large)
    with np.errstate(invalid="ignore"):
        return np.any(s >= thr, axis=-1)


def rates(g, imp, t_small, t_large, e0):
    ga = accepted(g, t_small, t_large, e0)
    ia = accepted(imp, t_small, t_large, e0)
    return {"far": float(ia.mean()), "far_accepted": int(ia.sum()), "impostor": len(imp),
            "frr": float(1 - ga.mean()), "frr_rejected": int((~ga).sum()), "genuine": len(g)}


def fit(g, imp, target_far, e0, grid):
    best = None
    for ts in grid:
        for tl in grid:
            r = rates(g, imp, ts, tl, e0)
            if r["far"] > target_far:
                continue
            # Lowest FRR, then lowest FAR, then the lowest thresholds that give them (the
            # single-pair fit's "lowest threshold accepting no impostor", per side).
            key = (r["frr"], r["far"], ts + tl, ts)
            if best is None or key < best[0]:
                best = (key, float(ts), float(tl), r)
    return best[1], best[2], best[3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("att")
    ap.add_argument("lfw")
    ap.add_argument("--e0", type=float, default=36.0, help="eye distance (px) under which a face is small")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    sets = {}
    for name, path, target in (("att", a.att, 1e-4), ("lfw", a.lfw, 1e-3)):
        g, imp = checks(*load(path))
        sets[name] = (g, imp, target)
    out = {"e0_px": a.e0, "one_threshold": {}, "fitted": {}}
    # Self-check against face-eval's own counts (EVAL.md) at one threshold.
    for name, (g, imp, _) in sets.items():
        out["one_threshold"][name] = {str(t): rates(g, imp, t, t, a.e0) for t in (0.42, 0.46, 0.48)}
    grid = np.round(np.arange(0.30, 0.56, 0.0025), 4)
    for fitted_on, other in (("att", "lfw"), ("lfw", "att")):
        g, imp, target = sets[fitted_on]
        ts, tl, r_in = fit(g, imp, target, a.e0, grid)
        og, oimp, _ = sets[other]
        out["fitted"][fitted_on] = {"t_small": ts, "t_large": tl, fitted_on: r_in,
                                    other: rates(og, oimp, ts, tl, a.e0)}
    if a.json:
        print(json.dumps(out, indent=1))
        return
    pct = lambda x: f"{100 * x:.3g} %"
    for name, by_t in out["one_threshold"].items():
        for t, r in by_t.items():
            print(f"{name} one threshold {t}: FAR {pct(r['far'])} ({r['far_accepted']}/{r['impostor']}), "
                  f"FRR {pct(r['frr'])} ({r['frr_rejected']}/{r['genuine']})")
    for fitted_on, f in out["fitted"].items():
        print(f"fitted on {fitted_on} (E0 {a.e0:g} px): {f['t_small']:.4f} under, {f['t_large']:.4f} above")
        for name in ("att", "lfw"):
            r = f[name]
            print(f"  on {name}: FAR {pct(r['far'])} ({r['far_accepted']}/{r['impostor']}), "
                  f"FRR {pct(r['frr'])} ({r['frr_rejected']}/{r['genuine']})")


if __name__ == "__main__":
    sys.exit(main())
