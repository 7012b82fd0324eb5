"""Where a case's time goes, stage by stage, in one process (best of --repeat runs).

Usage: python benchmarks/stages.py DIR [--repeat 3]

Stages: read the bytes, parse (YAML to data), validate (the compiled profile
schema), build the profile, the engine (walk, safety, ranking, alerts,
checks), the record (the dict), and encoding it (orjson or the stdlib).
"""

from __future__ import annotations

import argparse
import glob
import os
import time

from myositis_cli.documents import parse
from myositis_cli.engine import suggest
from myositis_cli.loading import DEFAULT_LIMITS
from myositis_cli.pathway import load_pathway, profile_validator
from myositis_cli.profile import ProfileProblems, build_profile
from myositis_cli.render import json as json_render
from myositis_cli.results import CaseResult, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.folder, "**", "*.yaml"), recursive=True))
    pathway = load_pathway()
    validator = profile_validator()
    encoder = json_render.Encoder(pathway, pretty=False)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        spent = dict.fromkeys(
            ("read", "parse", "validate", "profile", "engine", "record", "encode"), 0.0
        )
        for path in paths:
            t0 = time.perf_counter()
            with open(path, "rb") as handle:
                raw = handle.read()
            t1 = time.perf_counter()
            (document,) = list(parse(raw, "yaml", DEFAULT_LIMITS))
            t2 = time.perf_counter()
            ok = validator.is_valid(document.data)
            t3 = time.perf_counter()
            spent["read"] += t1 - t0
            spent["parse"] += t2 - t1
            spent["validate"] += t3 - t2
            if not ok:
                continue
            try:
                profile = build_profile(document.data, pathway)
            except ProfileProblems:
                continue
            t4 = time.perf_counter()
            rec = suggest(pathway, profile, trace=False)
            t5 = time.perf_counter()
            result = CaseResult(path, 0, profile.id, rec)
            data = record(result, pathway)
            t6 = time.perf_counter()
            encoder.record_bytes(result, data)
            t7 = time.perf_counter()
            spent["profile"] += t4 - t3
            spent["engine"] += t5 - t4
            spent["record"] += t6 - t5
            spent["encode"] += t7 - t6
        for stage, seconds in spent.items():
            best[stage] = min(best.get(stage, seconds), seconds)
    total = sum(best.values())
    print(f"{len(paths):,} cases, encoder {json_render.ENCODER}; per case, best of {args.repeat}:")
    for stage, seconds in best.items():
        print(f"  {stage:9} {1000 * seconds / len(paths):.3f} ms  {100 * seconds / total:4.1f}%")
    print(f"  {'total':9} {1000 * total / len(paths):.3f} ms")


if __name__ == "__main__":
    main()
