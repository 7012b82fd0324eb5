"""Wheel build hook: ship the bundled pathway's validated data beside its YAML,
and, when asked (``MYOSITIS_MYPYC=1``), the engine's hot modules compiled.

Parsing the pathway's YAML costs about 25 ms per start; its validated data as
JSON loads in well under 1 ms. The JSON is produced here, at build time, by
the project's own safe loader and validator, and records the sha256 of the
YAML bytes it came from: at run time it is used only while that hash still
matches, so an edited installed YAML is parsed afresh, never shadowed. It is
as trustworthy as the package's own code (both live in site-packages), which
is why the bundled pathway never reads the user's cache.

The compiled build (README "Speed") runs mypyc on a copy of the package in a
temporary folder, so the source tree never holds a stale extension module
that would shadow an edited ``.py``; mypy and setuptools are build
requirements only then. The ``.py`` files ship beside the extensions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# the modules where a batch spends its time (benchmarks/stages.py); each is
# mypy --strict clean, and none relies on a cached_property of its own
COMPILED_MODULES = (
    "conditions",
    "engine",
    "fastload",
    "plan",
    "profile",
    "ranking",
    "results",
    "validation",
)


def compile_requested() -> bool:
    return os.environ.get("MYOSITIS_MYPYC", "") not in ("", "0")


class CompiledPathwayHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "compiled-pathway"

    def dependencies(self) -> list[str]:
        if compile_requested():
            return ["mypy>=1.10", "setuptools>=61", "types-PyYAML"]
        return []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        if compile_requested():
            self._compile(build_data)
        root = Path(self.root)
        sys.path.insert(0, str(root))
        try:
            from myositis_cli import compiled
            from myositis_cli.pathway import compile_pathway, pathway_document_from_bytes
        finally:
            sys.path.pop(0)
        out = Path(tempfile.mkdtemp(prefix="myositis-build-"))
        for yaml_file in sorted((root / "pathways").glob("*.yaml")):
            raw = yaml_file.read_bytes()
            data, _ = pathway_document_from_bytes(raw, str(yaml_file))
            if not (isinstance(data, dict) and "pathway" in data):
                continue  # a table beside the pathway (the classification criteria)
            pathway, problems = compile_pathway(data, str(yaml_file))
            if pathway is None or problems:
                raise SystemExit(f"{yaml_file}: invalid pathway, not shipped: {problems[:3]}")
            target = out / (yaml_file.stem + compiled.SUFFIX)
            target.write_text(
                json.dumps(
                    {
                        "sha256": hashlib.sha256(raw).hexdigest(),
                        "key": compiled.key(root / "schemas"),
                        "data": data,
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                ),
                encoding="utf-8",
            )
            build_data["force_include"][str(target)] = f"myositis_cli/pathways/{target.name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    def _compile(self, build_data: dict[str, Any]) -> None:
        work = Path(tempfile.mkdtemp(prefix="myositis-mypyc-"))
        self._work = work  # removed in finalize, once the wheel holds the files
        shutil.copytree(
            Path(self.root) / "myositis_cli",
            work / "myositis_cli",
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"),
        )
        command = [
            sys.executable,
            "-m",
            "mypyc",
            "--ignore-missing-imports",
            *(f"myositis_cli/{name}.py" for name in COMPILED_MODULES),
        ]
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"mypyc failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
        built = sorted(work.glob("*__mypyc*")) + sorted((work / "myositis_cli").glob("*.*.*"))
        built = [p for p in built if p.suffix in (".so", ".pyd")]
        if len(built) != len(COMPILED_MODULES) + 1:  # one extension per module, one shared library
            raise SystemExit(f"mypyc built {[p.name for p in built]}, not one per module")
        for path in built:
            build_data["force_include"][str(path)] = str(path.relative_to(work))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
