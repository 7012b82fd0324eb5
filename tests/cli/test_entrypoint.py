"""The installed console script and ``python -m`` run the same app."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import EXAMPLES

from myositis_cli import __version__


def test_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "myositis_cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith(f"myositis {__version__} ")


def test_console_script_runs_a_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cli.test_hostile import run

    proc = run("suggest", str(EXAMPLES), "-f", "json", "-o", str(tmp_path / "out.json"))
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr.strip() == "9 cases: 9 ok, 0 failed"
    assert len(json.loads((tmp_path / "out.json").read_text())) == 9


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from myositis_cli.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('yaml', 'jsonschema', 'myositis_cli.engine') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _every_command() -> list[list[str]]:
    from myositis_cli.cli import _command_name, app, pathway_app

    top = [[_command_name(c)] for c in app.registered_commands]
    return top + [["pathway", _command_name(c)] for c in pathway_app.registered_commands]


def test_one_command_runs_as_it_does_in_the_full_app() -> None:
    # main() builds only the command it runs (start-up): same help, same errors
    from typer.testing import CliRunner

    from myositis_cli.cli import _app_for, app

    commands = _every_command()
    assert len(commands) == 15
    for words in commands:
        lean = _app_for(words)
        assert lean is not app
        for extra in (["--help"], ["--no-such-option"]):
            full_run = CliRunner().invoke(app, [*words, *extra], prog_name="myositis")
            lean_run = CliRunner().invoke(lean, [*words, *extra], prog_name="myositis")
            assert (lean_run.exit_code, lean_run.output) == (full_run.exit_code, full_run.output)
            assert full_run.exit_code in (0, 2) and full_run.output
    for words in (["--help"], ["sugest"], ["pathway"], ["pathway", "chek"], ["--version"], []):
        assert _app_for(words) is app  # nothing named exactly: the full app, with its did-you-mean


_COLLECTOR_SPY = """
import gc, sys
collecting_on_import = gc.isenabled()
from myositis_cli import cli
seen = []
set_up_done = cli._set_up_done
def spy():
    seen.append(gc.isenabled())
    set_up_done()
    seen.append(gc.isenabled())
cli._set_up_done = spy
sys.argv = ["myositis", *sys.argv[1:]]
try:
    cli.main()
except SystemExit:
    pass
print(collecting_on_import, gc.isenabled(), seen[:2], gc.get_freeze_count() > 0, file=sys.stderr)
"""


def test_the_collector_is_off_for_set_up_and_on_from_the_first_case() -> None:
    # off while Typer, the core and the pathway set up (garbage-free work), then on
    # with set-up's objects frozen out of its sweeps; importing cli leaves it as found
    for command in (
        ["suggest", str(EXAMPLES / "refractory-dm-skin.yaml"), "-f", "json"],
        ["summarize", "-"],
    ):
        out = subprocess.run(
            [sys.executable, "-c", _COLLECTOR_SPY, *command],
            capture_output=True,
            text=True,
            input="",
        )
        assert out.stderr.strip().splitlines()[-1] == "True True [False, True] True", command
