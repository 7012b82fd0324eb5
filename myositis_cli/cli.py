"""The command line: parse options, call one core function, pick a renderer, exit.

Nothing clinical happens here, and heavy modules (yaml, rich, jsonschema) are
imported inside the commands that use them, so ``--help`` and ``--version``
stay fast. Every ``MyositisError`` becomes its message on stderr and its exit
code in ``_guard``; a bad patient file is not an error here but a record.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer

from . import __version__
from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, MyositisError, UsageError

if TYPE_CHECKING:
    from .loading import Limits
    from .pathway import Pathway
    from .results import CaseResult

app = typer.Typer(
    name="myositis",
    help=(
        "Treatment-pathway decision support for refractory idiopathic inflammatory myopathy: "
        "ranked next-line options with evidence, reasons, caveats and alerts. "
        "Decision support for clinicians, not a prescription."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
pathway_app = typer.Typer(
    help="Author and check pathways: lint, golden tests with coverage, impact diff, pictures.",
    no_args_is_help=True,
)
app.add_typer(pathway_app, name="pathway")


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class CatalogueFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class ExportFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"


class SchemaName(str, Enum):
    profile = "profile"
    pathway = "pathway"


# ----------------------------------------------------------------------------
# Shared options.

PathwayOption = Annotated[
    Path | None,
    typer.Option(
        "--pathway",
        help="Pathway YAML to use instead of the bundled one.",
        dir_okay=False,
        show_default=False,
    ),
]
MaxFileSize = Annotated[
    int,
    typer.Option(
        "--max-file-size", min=1, help="Largest input file accepted, in bytes.", metavar="BYTES"
    ),
]
MaxDepth = Annotated[
    int,
    typer.Option("--max-depth", min=1, help="Deepest YAML nesting accepted.", metavar="LEVELS"),
]
MaxAliasNodes = Annotated[
    int,
    typer.Option(
        "--max-alias-nodes",
        min=1,
        help="Most nodes a document may expand to through YAML aliases.",
        metavar="NODES",
    ),
]
Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Profile files, directories (every *.yaml/*.yml below, sorted) or - for stdin.",
        metavar="INPUT...",
        show_default=False,
    ),
]
_DEFAULT_LIMITS = (10 * 1024 * 1024, 100, 100_000)

T = TypeVar("T")


def _guard(action: Callable[[], int]) -> NoReturn:
    """Run a command body; map what it raises to a message and an exit code."""
    try:
        code = action()
    except MyositisError as exc:
        for line in exc.lines():
            _err(line)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # the reader went away (| head): stop quietly, without a traceback at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FINDINGS
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("MYOSITIS_DEBUG"):
            raise
        _err(
            f"myositis: internal error ({type(exc).__name__}: {exc}); please report it "
            "(MYOSITIS_DEBUG=1 shows the traceback)"
        )
        code = EXIT_USAGE
    raise typer.Exit(code)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _limits(max_file_size: int, max_depth: int, max_alias_nodes: int) -> Limits:
    from .loading import Limits

    return Limits(max_file_size, max_depth, max_alias_nodes)


def _load(pathway: Path | None, limits: Limits | None = None) -> Pathway:
    from .loading import DEFAULT_LIMITS
    from .pathway import load_pathway

    return load_pathway(pathway, limits or DEFAULT_LIMITS)


def _open_output(output: Path | None) -> TextIO:
    if output is None:
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror or exc}") from None


def _console(out: TextIO, *, stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(
        file=out, stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False
    )


def _report_problems(results: Iterable[CaseResult]) -> Iterator[CaseResult]:
    """Pass results through, printing each problem as one located line on stderr."""
    for result in results:
        _print_problems(result)
        yield result


def _encode_in_workers(
    runner: Any,
    sources: Iterable[Any],
    workers: int,
    format: OutputFormat,
    out: TextIO,
    explain: bool,
    top: int | None,
) -> tuple[int, int]:
    """JSON output from worker processes: they encode, this process only writes."""
    from .parallel import encode_parallel
    from .render.json import Encoder, separator, write_blocks

    as_list = format is OutputFormat.json
    counts = [0, 0]

    def blocks() -> Iterator[str]:
        encoder = Encoder(pretty=as_list, explain=explain, top=top)
        for block in encode_parallel(runner, sources, workers, encoder, separator(as_list=as_list)):
            for failure in block.failures:
                _print_problems(failure)
            counts[0] += block.ok
            counts[1] += len(block.failures)
            yield block.text

    write_blocks(blocks(), out, as_list=as_list)
    return counts[0], counts[1]


def _print_problems(result: CaseResult) -> None:
    if not result.ok:
        from .problems import format_problem

        for problem in result.problems:
            _err(format_problem(result.source, problem, result.document))


def _version_callback(value: bool) -> None:
    if value:
        try:
            pathway = _load(None)
            print(f"myositis {__version__} (pathway {pathway.id} {pathway.version})")
        except MyositisError as exc:
            print(f"myositis {__version__} (bundled pathway unusable: {exc.message})")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version of the tool and of the bundled pathway.",
        ),
    ] = False,
) -> None:
    """Treatment-pathway decision support for refractory myositis."""


# ----------------------------------------------------------------------------
# suggest / validate


@app.command()
def suggest(
    inputs: Inputs,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    pathway: PathwayOption = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Show the walk: nodes, conditions, score changes, exclusions."
        ),
    ] = False,
    top: Annotated[
        int | None, typer.Option("--top", min=1, help="Show only the N best options.", metavar="N")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to FILE instead of stdout.",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes for large batches (0: one per CPU).",
            metavar="N",
        ),
    ] = 1,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line or progress bar on stderr.")
    ] = False,
    max_file_size: MaxFileSize = _DEFAULT_LIMITS[0],
    max_depth: MaxDepth = _DEFAULT_LIMITS[1],
    max_alias_nodes: MaxAliasNodes = _DEFAULT_LIMITS[2],
) -> None:
    """Ranked next-line options for each profile.

    Exit 0 when every case was processed, 1 when any was rejected (the others
    are still processed), 2 for a usage error or an unusable pathway.
    """

    def run() -> int:
        limits = _limits(max_file_size, max_depth, max_alias_nodes)
        from . import batch
        from .pipeline import Pipeline

        pw = _load(pathway, limits)
        runner = Pipeline(pw, limits, trace=explain)
        sources = batch.expand(inputs)  # streamed: memory stays flat in the number of cases
        workers = (os.cpu_count() or 1) if jobs == 0 else jobs
        out = _open_output(output)
        try:
            if (
                workers > 1
                and batch.STDIN not in inputs
                and format in (OutputFormat.json, OutputFormat.jsonl)
            ):
                ok, failed = _encode_in_workers(runner, sources, workers, format, out, explain, top)
            else:
                results: Iterator[CaseResult]
                if workers > 1 and batch.STDIN not in inputs:
                    from .parallel import run_parallel

                    results = run_parallel(runner, sources, workers)
                else:
                    results = batch.run(runner, sources)
                results = _report_problems(results)
                results = _progress(results, inputs, quiet=quiet, output=output)
                written = _render(results, format, out, explain=explain, top=top)
                ok, failed = _tally(written)
        finally:
            if out is not sys.stdout:
                out.close()
            else:
                out.flush()
        _summary(ok, failed, quiet=quiet)
        from .results import exit_code

        return exit_code(failed)

    _guard(run)


def _render(
    results: Iterable[CaseResult],
    format: OutputFormat,
    out: TextIO,
    *,
    explain: bool,
    top: int | None,
) -> Iterator[CaseResult]:
    if format is OutputFormat.json:
        from .render.json import write_json

        return write_json(results, out, explain=explain, top=top)
    if format is OutputFormat.jsonl:
        from .render.json import write_jsonl

        return write_jsonl(results, out, explain=explain, top=top)
    if format is OutputFormat.markdown:
        from .render.markdown import write_markdown

        return write_markdown(results, out, explain=explain, top=top)
    from .render.table import write_table

    return write_table(results, _console(out), explain=explain, top=top)


def _tally(results: Iterable[CaseResult]) -> tuple[int, int]:
    ok = failed = 0
    for result in results:
        if result.ok:
            ok += 1
        else:
            failed += 1
    return ok, failed


def _summary(ok: int, failed: int, *, quiet: bool, noun: str = "case") -> None:
    total = ok + failed
    if quiet or (total == 1 and failed == 0):
        return
    plural = "" if total == 1 else "s"
    _err(f"{total} {noun}{plural}: {ok} ok, {failed} failed")


def _progress(
    results: Iterator[CaseResult], inputs: list[str], *, quiet: bool, output: Path | None
) -> Iterator[CaseResult]:
    """A progress bar on stderr for long batches, only when a person is watching it."""
    if quiet or not sys.stderr.isatty() or (output is None and sys.stdout.isatty()):
        return results
    from . import batch

    total = sum(1 for _ in batch.expand(inputs))  # paths only: cheap beside the cases
    if total < 200:
        return results
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    def bar() -> Iterator[CaseResult]:
        with Progress(
            TextColumn("suggest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(sys.stderr, stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("cases", total=total)
            last = None
            for result in results:
                if result.source != last:
                    progress.advance(task)
                    last = result.source
                yield result

    return bar()


@app.command()
def validate(
    inputs: Inputs,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="text, json, or github (workflow annotations; the default under GitHub Actions).",
        ),
    ] = None,  # type: ignore[assignment]
    pathway: PathwayOption = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")
    ] = False,
    max_file_size: MaxFileSize = _DEFAULT_LIMITS[0],
    max_depth: MaxDepth = _DEFAULT_LIMITS[1],
    max_alias_nodes: MaxAliasNodes = _DEFAULT_LIMITS[2],
) -> None:
    """Schema and semantic check of profiles only (therapy names resolved, no suggestions).

    Exit 0 when every document is valid, 1 otherwise.
    """

    def run() -> int:
        limits = _limits(max_file_size, max_depth, max_alias_nodes)
        from . import batch
        from .pipeline import Pipeline
        from .render import reports

        chosen = format or (
            ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text
        )
        pw = _load(pathway, limits)
        sources = batch.expand(inputs)  # streamed, as in suggest
        results = batch.run(Pipeline(pw, limits, engine=False), sources)
        ok, failed = _tally(reports.write_validation(results, sys.stdout, chosen.value))
        _summary(ok, failed, quiet=quiet, noun="document")
        from .results import exit_code

        return exit_code(failed)

    _guard(run)


# ----------------------------------------------------------------------------
# therapies / schema / init


@app.command()
def therapies(
    format: Annotated[
        CatalogueFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CatalogueFormat.table,
    pathway: PathwayOption = None,
) -> None:
    """The therapy catalogue: evidence level, references, standing caveats, safety rules."""

    def run() -> int:
        from .render import catalogue

        pw = _load(pathway)
        if format is CatalogueFormat.json:
            catalogue.write_json(pw, sys.stdout)
        elif format is CatalogueFormat.markdown:
            catalogue.write_markdown(pw, sys.stdout)
        else:
            catalogue.write_table(pw, _console(sys.stdout))
        return EXIT_OK

    _guard(run)


@app.command()
def schema(name: Annotated[SchemaName, typer.Argument(help="Which schema to print.")]) -> None:
    """Print a JSON Schema: the profile format, or the pathway format."""

    def run() -> int:
        from . import resources

        sys.stdout.write(resources.schema_path(name.value).read_text(encoding="utf-8"))
        return EXIT_OK

    _guard(run)


@app.command()
def init(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the template (default: stdout).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a commented template profile to FILE (or stdout)."""

    def run() -> int:
        from . import resources

        template = (resources.data_dir("schemas") / "profile-template.yaml").read_text(
            encoding="utf-8"
        )
        if file is None:
            sys.stdout.write(template)
            return EXIT_OK
        if file.exists() and not force:
            raise UsageError(f"{file}: already exists (use --force to overwrite)")
        try:
            file.write_text(template, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{file}: cannot write: {exc.strerror or exc}") from None
        _err(f"wrote {file}; fill it in, then: myositis validate {file}")
        return EXIT_OK

    _guard(run)


# ----------------------------------------------------------------------------
# pathway check / test / diff / show / export


@pathway_app.command("check")
def pathway_check(
    pathways: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Pathway files (default: the bundled pathway).",
            metavar="[PATHWAY]...",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", help="text, json, or github (the default under GitHub Actions)."
        ),
    ] = None,  # type: ignore[assignment]
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="Golden cases to validate too (default: cases/ beside each pathway).",
            file_okay=False,
        ),
    ] = None,
    max_age_days: Annotated[
        int | None,
        typer.Option(
            "--max-age-days",
            min=1,
            help="Warn when last_reviewed is older (default: the pathway's review_interval_days, else 365).",
        ),
    ] = None,
) -> None:
    """Lint a pathway: schema, references, reachability, evidence on every option.

    Exit 0 when there are no findings, 1 when there are, 2 for usage errors.
    """

    def run() -> int:
        from . import lint, resources
        from .render import reports

        chosen = format or (
            ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text
        )
        targets = [str(p) for p in pathways] if pathways else [str(resources.default_pathway())]
        findings = []
        for target in targets:
            if not os.path.isfile(target):
                raise UsageError(f"{target}: no such pathway file")
            findings.extend(
                lint.check(
                    target, cases_dir=str(cases) if cases else None, max_age_days=max_age_days
                )
            )
        reports.write_findings(findings, sys.stdout, chosen.value)
        if chosen is not ReportFormat.json:
            errors = sum(1 for f in findings if f.severity == "error")
            _err(
                f"{len(targets)} pathway(s): {errors} error(s), {len(findings) - errors} warning(s)"
                if findings
                else f"{len(targets)} pathway(s): no findings"
            )
        return EXIT_FINDINGS if findings else EXIT_OK

    _guard(run)


@pathway_app.command("test")
def pathway_test(
    pathway: PathwayOption = None,
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases", help="Golden cases (default: cases/ beside the pathway).", file_okay=False
        ),
    ] = None,
    pattern: Annotated[
        str | None,
        typer.Option(
            "-k", help="Run only cases whose file name or id contains PATTERN.", metavar="PATTERN"
        ),
    ] = None,
    min_coverage: Annotated[
        float | None,
        typer.Option(
            "--min-coverage",
            min=0,
            max=100,
            help="Fail when node coverage is below PCT.",
            metavar="PCT",
        ),
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="text or json.")
    ] = ReportFormat.text,
) -> None:
    """Run golden cases against a pathway: failures, then node, rule and alert coverage.

    Exit 0 when all pass (and coverage meets --min-coverage), 1 otherwise.
    """

    def run() -> int:
        from . import golden
        from .render import reports

        pw = _load(pathway)
        directory = str(cases) if cases else golden.default_cases_dir(pw)
        report = golden.run_cases(pw, directory, pattern=pattern)
        reports.write_golden(
            report, sys.stdout, "json" if format is ReportFormat.json else "text", min_coverage
        )
        passed = report.failed == 0 and report.errors == 0 and report.total > 0
        if min_coverage is not None and report.node_coverage() * 100 < min_coverage:
            passed = False
        return EXIT_OK if passed else EXIT_FINDINGS

    _guard(run)


@pathway_app.command("diff")
def pathway_diff(
    old: Annotated[
        str, typer.Argument(help="The pathway before the edit: a file, or REV:path from git.")
    ],
    new: Annotated[
        str, typer.Argument(help="The pathway after the edit: a file, or REV:path from git.")
    ],
    cases: Annotated[
        list[str],
        typer.Option("--cases", help="Profiles or golden cases to run under both (repeatable)."),
    ],
    format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.text,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 1 when any case's answer changes.")
    ] = False,
) -> None:
    """Which cases' recommendations change between two pathway versions."""

    def run() -> int:
        from . import impact
        from .render import diffs

        report = impact.compare(old, new, cases)
        diffs.write(report, sys.stdout, format.value)
        if format is not DiffFormat.json:
            _err(
                f"{report.total} case(s): {report.changed} changed, {report.total - report.changed - report.errors} unchanged"
                + (f", {report.errors} could not be run" if report.errors else "")
            )
        if report.errors:
            return EXIT_FINDINGS
        return EXIT_FINDINGS if (fail_on_change and report.changed) else EXIT_OK

    _guard(run)


@pathway_app.command("show")
def pathway_show(pathway: PathwayOption = None) -> None:
    """The decision tree as a Rich tree, with each condition in words."""

    def run() -> int:
        from .render import tree

        tree.write_tree(_load(pathway), _console(sys.stdout))
        return EXIT_OK

    _guard(run)


@pathway_app.command("export")
def pathway_export(
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Diagram language.")
    ] = ExportFormat.mermaid,
    pathway: PathwayOption = None,
) -> None:
    """The decision tree as diagram source (Mermaid or Graphviz dot)."""

    def run() -> int:
        from .render import tree

        pw = _load(pathway)
        sys.stdout.write(tree.mermaid(pw) if format is ExportFormat.mermaid else tree.dot(pw))
        return EXIT_OK

    _guard(run)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
