"""Where a case's time goes, stage by stage, in one process (best of --repeat runs).

Usage: python benchmarks/stages.py DIR [--repeat 3] [--engine]

Stages: read the bytes, parse (YAML to data), validate (the compiled profile
schema), build the profile, the engine (walk, safety, ranking, alerts,
checks), the record (the dict), and encoding it (orjson or the stdlib).
``--engine`` also splits the engine into its own stages (engine.py's
docstring), each timed on its own, in either build.
"""

from __future__ import annotations

import argparse
import glob
import os
import time
from typing import Any

from myositis_cli import engine, ranking
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
    parser.add_argument("--engine", action="store_true", help="split the engine into its stages")
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.folder, "**", "*.yaml"), recursive=True))
    pathway = load_pathway()
    validator = profile_validator()
    encoder = json_render.Encoder(pathway, pretty=False)
    best: dict[str, float] = {}
    profiles: list[Any] = []  # the last repeat's valid profiles, for --engine
    for _ in range(args.repeat):
        spent = dict.fromkeys(
            ("read", "parse", "validate", "profile", "engine", "record", "encode"), 0.0
        )
        profiles.clear()
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
            profiles.append(profile)
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
    if args.engine:
        engine_stages(profiles, pathway, args.repeat)


def engine_stages(profiles: list[Any], p: Any, repeat: int) -> None:
    """The engine's own stages, called one by one as ``engine.suggest`` calls them."""
    clock = time.perf_counter
    names = ("context", "walk", "rule_out", "rank", "take_stock", "raise_alerts", "gather_checks")
    best: dict[str, float] = {}
    for _ in range(repeat):
        spent = dict.fromkeys(names, 0.0)
        for profile in profiles:
            tracer = engine.Trace(False)
            t0 = clock()
            ctx = engine.context_for(p, profile)
            current = tuple(t for t in p.therapies if ctx.current[t][0] is True)
            t1 = clock()
            walked = engine.walk(p, ctx, tracer)
            t2 = clock()
            ruled = engine.rule_out(p, profile, ctx, tracer)
            t3 = clock()
            ranked = ranking.rank(p, ctx, walked.suggestions, walked.caps, ruled, current, tracer)
            t4 = clock()
            engine.take_stock(p, profile, ctx, ruled, current, tracer)
            t5 = clock()
            raised = engine.raise_alerts(p, ctx, ruled.excluded, current, ranked, tracer)
            t6 = clock()
            engine.gather_checks(p, ranked, raised)
            t7 = clock()
            for name, seconds in zip(
                names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6), strict=True
            ):
                spent[name] += seconds
        for name, seconds in spent.items():
            best[name] = min(best.get(name, seconds), seconds)
    total = sum(best.values())
    print(f"the engine's stages, {len(profiles):,} valid cases, per case (µs):")
    for name, seconds in best.items():
        print(f"  {name:13} {1e6 * seconds / len(profiles):6.1f}  {100 * seconds / total:4.1f}%")
    replayed = conditions_alone(profiles, p, repeat)
    if replayed is None:
        print("  conditions alone: not measurable in the compiled build (its calls are native)")
    else:
        share = 100 * replayed / (1e6 * total / len(profiles))
        print(
            f"  conditions alone {replayed:6.1f}  {share:4.1f}% (with the context; the rest is assembly)"
        )


def conditions_alone(profiles: list[Any], p: Any, repeat: int) -> float | None:
    """µs per case of the condition evaluations the engine makes, replayed on their own.

    Each case's top-level evaluations are recorded once (a wrapper on every
    ``evaluate``), then replayed against a fresh context: the time a case
    spends deciding conditions, apart from assembling what holds.
    """
    from myositis_cli import conditions

    classes = [
        c
        for c in vars(conditions).values()
        if isinstance(c, type) and issubclass(c, conditions.Condition) and "evaluate" in vars(c)
    ]
    depth = [0]
    calls: list[Any] = []
    saved = {cls: cls.evaluate for cls in classes}

    def recording(method: Any) -> Any:
        def evaluate(self: Any, ctx: Any) -> Any:
            if depth[0] == 0:
                calls.append(self)
            depth[0] += 1
            try:
                return method(self, ctx)
            finally:
                depth[0] -= 1

        return evaluate

    replays = []
    try:
        for cls in classes:
            cls.evaluate = recording(saved[cls])  # type: ignore[method-assign]
        for profile in profiles:
            calls.clear()
            engine.suggest(p, profile, trace=False)
            replays.append(tuple(calls))
    finally:
        for cls, method in saved.items():
            cls.evaluate = method  # type: ignore[method-assign]
    if not any(replays):
        return None
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for profile, evaluations in zip(profiles, replays, strict=True):
            ctx = engine.context_for(p, profile)
            for condition in evaluations:
                condition.evaluate(ctx)
        best = min(best, time.perf_counter() - started)
    return 1e6 * best / len(profiles)


if __name__ == "__main__":
    main()
