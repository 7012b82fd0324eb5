"""The start-up floor: a do-nothing one-command Typer app of the same Typer version.

Usage: python benchmarks/typer_floor.py FILE [--format json]

It takes a path and --format, imports rich.table and yaml, loads the file with
the C loader and prints one JSON line: what any Typer CLI reading YAML pays.
"""

from __future__ import annotations

import json

import typer

app = typer.Typer()


@app.command()
def main(path: str, format: str = "json") -> None:
    import rich.table  # noqa: F401
    import yaml

    with open(path, "rb") as handle:
        data = yaml.load(handle, Loader=yaml.CSafeLoader)
    print(json.dumps({"id": data.get("id") if isinstance(data, dict) else None, "format": format}))


if __name__ == "__main__":
    app()
