"""Robustness checks vs IBM's ART called directly, on the same sample and seed, in one run.

Data: the German credit sample, its reference pipeline (one-hot + standardize + logistic
regression) trained on 70% of the rows (seeded, stratified); the 30% held out are audited.

- **Evasion.** Ours: :func:`responsible_ai.robustness.evasion.evade` (what the
  ``robustness.evasion_success_rate`` check runs). ART directly: the script a user would write,
  ``BlackBoxClassifier`` over the numeric features scaled to 0-1 (the others fixed per row) and
  ``HopSkipJump`` with the same iterations, evaluations and seeded starting points. Compared:
  which rows flip, the perturbation sizes, and time per attacked row.
- **Membership inference.** Ours:
  :func:`responsible_ai.robustness.membership.membership_inference`. ART directly:
  ``MembershipInferenceBlackBox(attack_model_type="rf")`` fitted and scored on the same halves
  with the same numpy seed. Compared: the AUC (advantage = AUC - 0.5), and time.
- **The security pack.** ``audit`` of ``policies/model-security.yaml`` end to end, wall time, and
  the time of each family computation (stability, counterfactual, evasion, membership, poisoning).

Run: ``PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/robustness.py [--rows 20] [--queries 300]
[--repeat 2] [--out benchmarks/results/robustness.md]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from responsible_ai.alignment import align_to_model
from responsible_ai.datasets import load_german_credit
from responsible_ai.reference_models import reference_training_rows, train_reference_model
from responsible_ai.robustness._common import ModelView
from responsible_ai.robustness.evasion import _INIT_EVAL, _MAX_EVAL, _init_size, attack_iterations
from responsible_ai.robustness.evasion import evade as our_evade
from responsible_ai.robustness.membership import membership_inference as our_membership

SEED = 20261202
# ART imports numba, which imports `coverage`: as a script, this folder (with coverage.py, another
# benchmark) would come first on the path and stand in for the real package.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(__file__)]


def _quiet_art() -> tuple[Any, Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from art.attacks.evasion import HopSkipJump
        from art.attacks.inference.membership_inference import MembershipInferenceBlackBox
        from art.estimators.classification import BlackBoxClassifier
    return HopSkipJump, MembershipInferenceBlackBox, BlackBoxClassifier


def art_evasion(model: Any, frame: pd.DataFrame, rows: pd.Index, numeric: list[str], queries: int):
    """HopSkipJump as a user would call it on a pipeline over mixed columns."""
    HopSkipJump, _, BlackBoxClassifier = _quiet_art()
    features = list(model.feature_names_in_)
    inputs, _ = align_to_model(model, frame[features], features)
    values = inputs[numeric].astype(float)
    low, high = values.min().to_numpy(), values.max().to_numpy()
    span = np.where(high > low, high - low, 1.0)
    spread = np.where(values.std(ddof=0) > 0, values.std(ddof=0), 1.0)
    np.random.seed(SEED)
    rng = np.random.default_rng(SEED)
    flipped, sizes = [], []
    for label in rows:
        row = inputs.loc[[label]].reset_index(drop=True)
        row[numeric] = row[numeric].astype(float)

        def predict(unit: np.ndarray, row: pd.DataFrame = row) -> np.ndarray:
            batch = pd.concat([row] * len(unit), ignore_index=True)
            batch[numeric] = low + np.asarray(unit, dtype=float) * span
            good = model.predict(batch) == "good"
            return np.stack([~good, good], axis=1).astype(np.float32)

        classifier = BlackBoxClassifier(predict, (len(numeric),), 2, clip_values=(0.0, 1.0))
        start = ((values.loc[[label]].to_numpy() - low) / span).astype(np.float32)
        before = predict(start)[0, 1] > 0.5
        candidates = rng.uniform(0, 1, (_init_size(queries), len(numeric))).astype(np.float32)
        flips = np.flatnonzero((predict(candidates)[:, 1] > 0.5) != before)
        if not len(flips):
            flipped.append(False)
            sizes.append(np.inf)
            continue
        closest = flips[np.argmin(np.linalg.norm(candidates[flips] - start, axis=1))]
        attack = HopSkipJump(
            classifier,
            targeted=False,
            max_iter=attack_iterations(queries),
            max_eval=_MAX_EVAL,
            init_eval=_INIT_EVAL,
            init_size=_init_size(queries),
            verbose=False,
        )
        adversarial = attack.generate(start, x_adv_init=candidates[[closest]])
        after = predict(adversarial)[0, 1] > 0.5
        flipped.append(bool(after != before))
        change = (adversarial[0] - start[0]) * span / spread
        sizes.append(float(np.sqrt(np.sum(change**2))) if after != before else np.inf)
    return np.array(flipped), np.array(sizes)


def art_membership(model: Any, members: pd.DataFrame, others: pd.DataFrame, features: list[str]):
    """ART's black-box membership inference on the same halves and seed as ours."""
    _, MembershipInferenceBlackBox, BlackBoxClassifier = _quiet_art()
    classes = [str(c) for c in model.classes_]
    pred_in = model.predict_proba(align_to_model(model, members[features], features)[0])
    pred_out = model.predict_proba(align_to_model(model, others[features], features)[0])
    y_in = members["credit"].astype(str).map(classes.index).to_numpy()
    y_out = others["credit"].astype(str).map(classes.index).to_numpy()
    rng = np.random.default_rng(SEED)
    order_in, order_out = rng.permutation(len(members)), rng.permutation(len(others))
    train_in, test_in = (
        np.sort(order_in[: len(members) // 2]),
        np.sort(order_in[len(members) // 2 :]),
    )
    train_out, test_out = (
        np.sort(order_out[: len(others) // 2]),
        np.sort(order_out[len(others) // 2 :]),
    )
    classifier = BlackBoxClassifier(lambda x: x, (1,), len(classes))
    attack = MembershipInferenceBlackBox(
        classifier, input_type="prediction", attack_model_type="rf"
    )
    np.random.seed(SEED)
    attack.fit(
        y=y_in[train_in],
        pred=pred_in[train_in],
        test_y=y_out[train_out],
        test_pred=pred_out[train_out],
    )
    scores = np.concatenate(
        [
            np.ravel(attack.infer(None, y_in[test_in], pred=pred_in[test_in], probabilities=True)),
            np.ravel(
                attack.infer(None, y_out[test_out], pred=pred_out[test_out], probabilities=True)
            ),
        ]
    )
    truth = np.concatenate([np.ones(len(test_in)), np.zeros(len(test_out))])
    return float(roc_auc_score(truth, scores))


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20, help="rows attacked (evasion)")
    parser.add_argument("--queries", type=int, default=300, help="query budget per row")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of each evasion side")
    parser.add_argument("--out", help="write the Markdown table here too")
    args = parser.parse_args()

    german = load_german_credit()
    model, _ = train_reference_model("german_credit", holdout=0.3)
    trained = reference_training_rows(german, holdout=0.3).to_numpy()
    train = german.data.loc[trained].reset_index(drop=True)
    held = german.data.loc[~trained].reset_index(drop=True)
    numeric = [c for c in german.features if pd.api.types.is_numeric_dtype(held[c])]
    rows = held.index[: args.rows]
    load_before = os.getloadavg()[0]

    view = ModelView(model, german.features, "good")
    ours, ours_seconds = _timed(
        our_evade,
        view,
        held,
        rows,
        numeric,
        attack="hopskipjump",
        queries=args.queries,
        random_state=SEED,
    )
    (art_flipped, art_sizes), art_seconds = _timed(
        art_evasion, model, held, rows, numeric, args.queries
    )
    same_flips = bool((ours.flipped == art_flipped).all())
    finite = np.isfinite(ours.size)
    size_gap = float(np.max(np.abs(ours.size[finite] - art_sizes[finite]))) if finite.any() else 0.0

    n = 300
    rng = np.random.default_rng(SEED)
    members = train.iloc[np.sort(rng.choice(len(train), n, replace=False))]
    others = held.iloc[np.sort(rng.choice(len(held), n, replace=False))]
    mia, mia_seconds = _timed(
        our_membership,
        view,
        members,
        others,
        "credit",
        attack_model="rf",
        resamples=200,
        confidence=0.95,
        random_state=SEED,
    )
    art_auc, art_mia_seconds = _timed(art_membership, model, members, others, german.features)

    from responsible_ai import audit

    cpu_started = time.process_time()
    report, audit_seconds = _timed(
        audit,
        held,
        "policies/model-security.yaml",
        model=model,
        train=train,
        target="credit",
        positive_label="good",
        sensitive=["sex", "age_group"],
    )
    audit_cpu = time.process_time() - cpu_started
    load_after = os.getloadavg()[0]
    lines = [
        "# Robustness checks vs ART directly",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load_before:.1f} before and {load_after:.1f} "
        "after (other jobs were running: wall times are inflated, both sides alike).",
        "",
        "| what | ours | ART directly | equal? |",
        "|---|---|---|---|",
        f"| evasion, {len(rows)} rows x {args.queries} queries: rows flipped | "
        f"{int(ours.flipped.sum())} | {int(art_flipped.sum())} | "
        f"{'yes, the same rows' if same_flips else 'NO'} |",
        f"| evasion: largest difference in perturbation size | | | {size_gap:.2g} |",
        f"| evasion: seconds per attacked row (best of {args.repeat}) | "
        f"{ours_seconds / len(rows):.3f} | "
        f"{art_seconds / len(rows):.3f} | ratio {ours_seconds / art_seconds:.2f}x |",
        f"| membership inference AUC ({n} + {n} rows) | {mia.auc:.6f} | {art_auc:.6f} | "
        f"{'yes' if abs(mia.auc - art_auc) < 1e-12 else 'NO'} |",
        f"| membership inference seconds (ours incl. 200 bootstrap AUCs) | {mia_seconds:.3f} | "
        f"{art_mia_seconds:.3f} | ratio {mia_seconds / art_mia_seconds:.2f}x |",
        "",
        f"Security pack (`policies/model-security.yaml`) on the 300 held-out rows: "
        f"{audit_seconds:.1f} s wall and {audit_cpu:.1f} s CPU for the whole audit, data and "
        "model in memory (target < 30 s on a quiet machine), verdict "
        f"{report.verdict}; {report.summary}.",
        "",
        "| check | status | value |",
        "|---|---|---|",
        *[f"| {f.id} | {f.status} | {f.value:.4g} |" for f in report.checks if f.value is not None],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        from responsible_ai._atomic import write_text_atomic

        write_text_atomic(args.out, text)


if __name__ == "__main__":
    main()
