"""The batch floor: the work no tool can avoid for one case file.

Usage: python benchmarks/floor.py DIR [--validator myositis|fastjsonschema]

For every *.yaml below DIR (sorted): read the bytes, parse with PyYAML's C
loader rejecting duplicate keys, validate against the profile schema with a
compiled validator (myositis's own, always its Python source: the compiled
build's does not lower the floor), and write json.dumps of a 1 KB dict as
one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import yaml


class StrictLoader(yaml.CSafeLoader):
    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        keys = [k.value for k, _ in node.value]
        if len(keys) != len(set(keys)):
            raise yaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return super().construct_mapping(node, deep)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)

ONE_KB = {
    "source": "cases/0000/case-0000017.yaml",
    "document": 0,
    "id": "bench-0000017",
    "status": "ok",
    "pathway": {"id": "refractory-myositis", "version": "1.0.0"},
    "options": [
        {
            "rank": i,
            "therapy": "rituximab",
            "tier": "preferred",
            "evidence": "B",
            "score": 7.5,
            "reasons": ["refractory disease: most patients improved in RIM"],
        }
        for i in range(1, 5)
    ],
    "disclaimer": "Decision support for clinicians, not a prescription.",
}


def compiled_validator(kind: str):  # type: ignore[no-untyped-def]
    from myositis_cli import resources

    schema = resources.schema("profile")
    if kind == "fastjsonschema":
        import fastjsonschema

        check = fastjsonschema.compile({k: v for k, v in schema.items() if k != "$schema"})

        def validate(data):  # type: ignore[no-untyped-def]
            try:
                check(data)
                return True
            except fastjsonschema.JsonSchemaException:
                return False

        return validate
    return _pure_validation().compile_schema(schema)


def _pure_validation():  # type: ignore[no-untyped-def]
    """myositis_cli/validation.py as Python source, even in the compiled build
    (which compiles it): the floor stays the same program whichever build is
    measured against it, so the two builds' ratios compare."""
    import importlib.util

    import myositis_cli

    source = os.path.join(os.path.dirname(myositis_cli.__file__), "validation.py")
    spec = importlib.util.spec_from_file_location("myositis_cli._floor_validation", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--validator", choices=["myositis", "fastjsonschema"], default="myositis")
    args = parser.parse_args()
    validate = compiled_validator(args.validator)
    out = sys.stdout
    for root, dirs, files in os.walk(args.dir):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(root, name), "rb") as handle:
                raw = handle.read()
            try:
                data = yaml.load(raw, Loader=StrictLoader)
                validate(data)
            except yaml.YAMLError:
                pass
            out.write(json.dumps(ONE_KB))
            out.write("\n")


if __name__ == "__main__":
    main()
