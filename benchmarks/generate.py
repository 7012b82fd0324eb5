"""Generate a corpus of realistic profiles for benchmarks.

Usage: python benchmarks/generate.py OUT_DIR COUNT [--invalid SHARE] [--seed N]
                                     [--shape project|acceptance] [--flat]

Profiles are shaped like the bundled examples (1.5-3 KB, most sections
present, 0-4 history entries with common therapy names) and are valid against
the profile schema, except a share (default 2%) made invalid in the ways real
files are: a typo in a key, a misspelt therapy, a number where text belongs.
One profile per file, in numbered subfolders of 1,000 files (``--flat``: all
in one folder). ``--shape acceptance`` writes the small profiles an acceptance
suite sends (about 560 bytes: id, age, sex, subtype and antibodies, the
glucocorticoid dose, one or two history entries, a few safety fields).
"""

from __future__ import annotations

import argparse
import os
import random

import yaml

SUBTYPES = [
    ("dermatomyositis", 30),
    ("polymyositis", 15),
    ("antisynthetase_syndrome", 15),
    ("immune_mediated_necrotizing_myopathy", 12),
    ("amyopathic_dermatomyositis", 8),
    ("juvenile_dermatomyositis", 8),
    ("overlap_myositis", 7),
    ("inclusion_body_myositis", 5),
]
ANTIBODIES = {
    "dermatomyositis": ["tif1g", "nxp2", "mi2", "mda5", "sae", "ro52"],
    "amyopathic_dermatomyositis": ["mda5", "tif1g", "ro52"],
    "juvenile_dermatomyositis": ["nxp2", "tif1g", "mda5", "mi2"],
    "polymyositis": ["ro52", "pm_scl", "ku", "u1rnp"],
    "antisynthetase_syndrome": ["jo1", "pl7", "pl12", "ej", "ro52"],
    "immune_mediated_necrotizing_myopathy": ["hmgcr", "srp"],
    "overlap_myositis": ["pm_scl", "ku", "u1rnp", "ro52"],
    "inclusion_body_myositis": ["cn1a"],
}
THERAPIES = [
    "methotrexate",
    "MTX",
    "azathioprine",
    "Imuran",
    "mycophenolate mofetil",
    "MMF",
    "CellCept",
    "ciclosporin",
    "tacrolimus",
    "IVIG",
    "rituximab",
    "Rituxan",
    "hydroxychloroquine",
    "tofacitinib",
    "abatacept",
    "Acthar",
    "cyclophosphamide",
    "infliximab",
]
OUTCOMES = ["ongoing", "good_response", "partial_response", "inadequate_response", "intolerance"]


def profile(rng: random.Random, index: int) -> dict:
    subtype = rng.choices([s for s, _ in SUBTYPES], [w for _, w in SUBTYPES])[0]
    juvenile = subtype == "juvenile_dermatomyositis"
    age = rng.randint(4, 17) if juvenile else rng.randint(18, 85)
    sex = rng.choice(["female", "female", "male", "other"])
    antibodies = rng.sample(ANTIBODIES[subtype], rng.randint(0, min(2, len(ANTIBODIES[subtype]))))
    data: dict = {
        "profile_version": 1,
        "id": f"bench-{index:07d}",
        "age": age,
        "sex": sex,
        "diagnosis": {
            "subtype": subtype,
            "autoantibodies": antibodies,
            "cancer_associated": rng.random() < 0.08,
        },
        "manifestations": {
            "muscle": rng.choice(["none", "mild", "moderate", "severe"]),
            "skin": rng.choice(["none", "active", "refractory"]),
            "ild": rng.choices(
                ["none", "stable", "progressive", "rapidly_progressive"], [60, 20, 15, 5]
            )[0],
            "dysphagia": rng.random() < 0.2,
            "cardiac": rng.random() < 0.05,
            "arthritis": rng.random() < 0.2,
        },
    }
    if rng.random() < 0.9:
        data["glucocorticoids"] = {
            "current_dose_mg": rng.choice([0, 5, 7.5, 10, 15, 20, 40, 60]),
            "months": rng.randint(1, 60),
            "taper_failed": rng.random() < 0.35,
            "toxicity": rng.sample(
                ["diabetes", "osteoporosis", "hypertension", "cataract", "weight_gain"],
                rng.randint(0, 2),
            ),
        }
    history = []
    for _ in range(rng.randint(0, 4)):
        entry = {
            "therapy": rng.choice(THERAPIES),
            "months": rng.randint(1, 24),
            "outcome": rng.choice(OUTCOMES),
        }
        if rng.random() < 0.3:
            entry["current"] = entry["outcome"] in ("ongoing", "partial_response", "good_response")
        history.append(entry)
    if history:
        data["history"] = history
    safety = {
        "pregnancy": "none"
        if sex != "female" or age > 50
        else rng.choice(["none", "none", "planning", "pregnant", "breastfeeding"]),
        "hepatitis_b": rng.choice(["negative", "negative", "resolved", "chronic", "unknown"]),
        "tuberculosis": rng.choice(
            ["negative", "negative", "latent_treated", "latent_untreated", "unknown"]
        ),
        "active_infection": rng.random() < 0.05,
        "malignancy": rng.choices(["none", "active", "within_5_years"], [90, 3, 7])[0],
        "heart_failure": rng.choices(["none", "nyha_1_2", "nyha_3_4"], [90, 7, 3])[0],
        "egfr": rng.randint(15, 120),
        "tpmt": rng.choice(["normal", "normal", "intermediate", "unknown"]),
        "statin_current": rng.random() < 0.15,
        "cardiovascular_risk": rng.random() < 0.3,
    }
    for key in rng.sample(sorted(safety), rng.randint(0, 4)):  # records are never complete
        del safety[key]
    data["safety"] = safety
    return data


def small(rng: random.Random, index: int) -> dict:
    """An acceptance-shaped profile: the fields a short form asks for."""
    full = profile(rng, index)
    data = {k: full[k] for k in ("id", "age", "sex") if k in full}
    diagnosis = {"subtype": full["diagnosis"]["subtype"]}
    if full["diagnosis"].get("autoantibodies"):
        diagnosis["autoantibodies"] = full["diagnosis"]["autoantibodies"][:2]
    data["diagnosis"] = diagnosis
    if "glucocorticoids" in full:
        data["glucocorticoids"] = {
            "current_dose_mg": full["glucocorticoids"].get("current_dose_mg", 10)
        }
    history = full.get("history") or [
        {"therapy": "methotrexate", "months": 6, "outcome": "inadequate_response"}
    ]
    data["history"] = [
        {k: v for k, v in h.items() if k in ("therapy", "months", "outcome")} for h in history[:2]
    ]
    safety = full.get("safety", {})
    data["safety"] = {k: safety[k] for k in list(safety)[:7]}
    return data


def spoil(rng: random.Random, data: dict) -> None:
    choice = rng.randrange(3)
    if choice == 0:
        data["safety"]["pregancy"] = "none"
    elif choice == 1:
        data.setdefault("history", []).append({"therapy": "ritux", "months": 3})
    else:
        data["age"] = "fifty"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out")
    parser.add_argument("count", type=int)
    parser.add_argument(
        "--invalid", type=float, default=0.02, help="share of invalid profiles (default 0.02)"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--shape", choices=["project", "acceptance"], default="project")
    parser.add_argument("--flat", action="store_true", help="every file in one folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    make = small if args.shape == "acceptance" else profile
    for i in range(args.count):
        data = make(rng, i)
        if rng.random() < args.invalid:
            data.setdefault("safety", {})
            spoil(rng, data)
        folder = args.out if args.flat else os.path.join(args.out, f"{i // 1000:04d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"case-{i:07d}.yaml"), "w", encoding="utf-8") as handle:
            handle.write(f"# generated benchmark case {i}\n")
            yaml.safe_dump(data, handle, sort_keys=False, default_flow_style=False)


if __name__ == "__main__":
    main()
