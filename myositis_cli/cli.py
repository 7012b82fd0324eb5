"""The command line: parse options, call one core function, pick a renderer, exit.

Nothing clinical happens here, and heavy modules (yaml, rich, jsonschema) are
imported inside the commands that use them, so ``--help`` and ``--version``
stay fast. Every ``MyositisError`` becomes its message on stderr and its exit
code in ``_guard``; a bad patient file is not an error here but a record.
"""

from __future__ import annotations

import gc

# Set-up (Typer, the core, the pathway) allocates tens of thousands of objects
# that live until exit: the cycle collector finds nothing among them and costs a
# one-case run ~7%. It is off while this module and a command set up, and on
# (with set-up's objects frozen out of its sweeps) from the first case: see
# _set_up_done. Re-enabled at the end of this module for code that imports it.
_COLLECTING_BEFORE = gc.isenabled()
gc.disable()

import copy
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

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
    html = "html"


class WhyFormat(str, Enum):
    text = "text"
    json = "json"


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


class ReferencesMode(str, Enum):
    each = "each"
    once = "once"


class InputFormat(str, Enum):
    auto = "auto"
    yaml = "yaml"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class SchemaName(str, Enum):
    profile = "profile"
    pathway = "pathway"
    case = "case"
    record = "record"
    csv = "csv"


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
    list[str] | None,
    typer.Argument(
        help="Profile files, folders (every *.yaml, *.yml, *.json, *.jsonl, *.csv below, sorted) "
        "or - for stdin.",
        metavar="INPUT...",
        show_default=False,
    ),
]
_DEFAULT_LIMITS = (10 * 1024 * 1024, 100, 100_000)

InputFormatOption = Annotated[
    InputFormat,
    typer.Option(
        "--input-format",
        help="How to read inputs: by suffix (auto), or all as yaml, json, jsonl or csv.",
    ),
]
FilesFrom = Annotated[
    Path | None,
    typer.Option(
        "--files-from",
        "-T",
        help="Also read the paths listed in FILE, one per line (- for stdin), as tar -T does.",
        metavar="FILE",
        allow_dash=True,
    ),
]
NulSeparated = Annotated[
    bool, typer.Option("--null", "-0", help="The --files-from list is NUL-separated.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the report to FILE (atomically: complete, or not at all).",
        dir_okay=False,
        metavar="FILE",
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        help="Worker processes for large batches (0: one per CPU).",
        metavar="N",
    ),
]


def _guard(action: Callable[[], int]) -> NoReturn:
    """Run a command body; map what it raises to one message and an exit code."""
    from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

    try:
        code = action()
    except MyositisError as exc:
        for line in exc.lines():
            _err(line)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Terminated:
        code = EXIT_TERMINATED
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("MYOSITIS_DEBUG"):
            raise
        _err(
            f"myositis: internal error ({type(exc).__name__}: {exc}); please report it "
            "(MYOSITIS_DEBUG=1 shows the traceback)"
        )
        code = EXIT_USAGE
    raise typer.Exit(code)


def _report_format(chosen: ReportFormat | None) -> ReportFormat:
    """As asked; else GitHub annotations under GitHub Actions, text elsewhere."""
    if chosen is not None:
        return chosen
    return ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text


_HELD: list[str] | None = None  # error lines held for the progress bar to print


def _err(message: str) -> None:
    """One line on stderr (nothing when stderr is closed); while the progress bar
    shows, held until its next draw, which prints them above it in one go."""
    if _HELD is not None:
        _HELD.append(message)
        return
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(message + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _limits(max_file_size: int, max_depth: int, max_alias_nodes: int) -> Limits:
    from .loading import Limits

    return Limits(max_file_size, max_depth, max_alias_nodes)


def _load(pathway: Path | None, limits: Limits | None = None) -> Pathway:
    from .loading import DEFAULT_LIMITS, widest
    from .pathway import load_pathway

    # the limits bound the cases: lowered, they never refuse the pathway (130 KB),
    # and raised, they apply to it too (a pathway is read under the wider of the two)
    loaded = load_pathway(pathway, widest(limits or DEFAULT_LIMITS, DEFAULT_LIMITS))
    _set_up_done()
    return loaded


def _console(out: Any, *, stderr: bool = False, width: int | None = None) -> Any:
    from rich.console import Console

    return Console(
        file=out,
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        width=width if width is not None else _width(out),
    )


MIN_WIDTH = 40  # narrower than this, a table loses its content: clamp, never drop it


def _width(out: Any) -> int | None:
    """COLUMNS when set (clamped to a usable width), else Rich's own choice."""
    raw = os.environ.get("COLUMNS")
    if raw is None:
        return None
    try:
        columns = int(raw)
    except ValueError:
        return None
    return max(columns, MIN_WIDTH)


def _print_problems(result: CaseResult) -> None:
    if not result.ok:
        from .problems import format_problem

        for problem in result.problems:
            _err(format_problem(result.source, problem, result.document))


def _version_callback(value: bool) -> None:
    if value:
        try:
            pathway = _load(None)
            text = f"myositis {__version__} (pathway {pathway.id} {pathway.version})"
        except MyositisError as exc:
            text = f"myositis {__version__} (bundled pathway unusable: {exc.message})"
        _stdout_line(text)
        raise typer.Exit(EXIT_OK)


def _stdout_line(text: str) -> None:
    from .errors import OutputError

    if sys.stdout is None:
        raise OutputError("standard output", "it is closed")
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except OSError as exc:
        raise OutputError("standard output", exc.strerror or str(exc)) from None


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
# suggest / validate: one batch, many formats


class _Batch:
    """What ``suggest`` and ``validate`` share: inputs, the pipeline, workers, the report."""

    def __init__(
        self,
        inputs: list[str],
        *,
        files_from: Path | None,
        nul: bool,
        input_format: InputFormat,
        output: Path | None,
        pathway: Path | None,
        jobs: int,
        limits: Limits,
        trace: bool = False,
        engine: bool = True,
        classify: bool = False,
    ) -> None:
        from . import batch, outputs
        from .batch import usable_cpus
        from .pipeline import Pipeline

        listed: list[str] = []
        if files_from is not None:
            if str(files_from) == batch.STDIN and batch.STDIN in inputs:
                raise UsageError("standard input cannot be both an input and the --files-from list")
            try:
                listed = list(batch.files_from(str(files_from), nul=nul))
            except OSError as exc:
                raise UsageError(
                    f"{files_from}: cannot read the file list: {exc.strerror or exc}"
                ) from None
        self.inputs = [*inputs, *listed]
        if not self.inputs:
            raise UsageError("no input: give profile files, folders, - for stdin, or --files-from")
        pw = _load(pathway, limits)
        # the file list and the pathway (the bundled one too) are inputs as well
        read = [*self.inputs, *([str(files_from)] if files_from is not None else [])]
        outputs.check_target(output, read, pw.source)
        if output is None:
            outputs.check_stdout(read, pw.source)
        self.output = output
        self.pipeline = Pipeline(pw, limits, trace=trace, engine=engine, classify=classify)
        self.sources = batch.expand(self.inputs, input_format.value)  # streamed: flat memory
        self.workers = usable_cpus() if jobs == 0 else jobs
        self.parallel = self.workers > 1 and batch.STDIN not in self.inputs

    def results(self, *, echo: bool = True) -> Iterator[CaseResult]:
        """Every result in order, serial or from workers; error lines printed as they
        come (unless ``echo`` is off: the report on stdout is those very lines)."""
        from . import batch

        if not self.parallel:
            for result in batch.run(self.pipeline, self.sources):
                if echo:
                    _print_problems(result)
                yield result
            return
        from .parallel import run_parallel

        for block in run_parallel(self.pipeline, self.sources, self.workers):
            if block.errors and echo:
                _err(block.errors.rstrip("\n"))
            yield from block.results

    def blocks(
        self, encoder: Any, separator: bytes, counts: list[int], direct: Any = None
    ) -> Iterator[tuple[Any, int]]:
        """Encoded records from the workers, with how many: written by the workers
        themselves (``direct``, then None here), copied by the kernel from a
        worker's memory file, or bytes; never decoded here."""
        from .parallel import encode_parallel

        for block in encode_parallel(
            self.pipeline, self.sources, self.workers, encoder, separator, direct
        ):
            if block.errors:
                _err(block.errors.rstrip("\n"))
            counts[0] += block.ok
            counts[1] += block.failed
            records = block.ok + block.failed
            if block.written:
                yield (None if records else b""), records
            else:
                yield (block.spool if block.spool is not None else block.data), records


@app.command()
def suggest(
    inputs: Inputs = None,
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
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            "-v",
            help="Everything: every reason, caveat, reference and notice (table, markdown).",
        ),
    ] = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Never page the table, even on a terminal.")
    ] = False,
    references: Annotated[
        ReferencesMode,
        typer.Option(
            "--references",
            help="json/jsonl: the citations in each record (each), or once before the records.",
        ),
    ] = ReferencesMode.each,
    output: OutputOption = None,
    jobs: JobsOption = 1,
    input_format: InputFormatOption = InputFormat.auto,
    files_from: FilesFrom = None,
    nul: NulSeparated = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line or progress bar on stderr.")
    ] = False,
    max_file_size: MaxFileSize = _DEFAULT_LIMITS[0],
    max_depth: MaxDepth = _DEFAULT_LIMITS[1],
    max_alias_nodes: MaxAliasNodes = _DEFAULT_LIMITS[2],
) -> None:
    """Ranked next-line options for each profile.

    Exit 0 when every case was processed, 1 when any was rejected (the others
    are still processed), 2 for a usage error, an unusable pathway or a report
    that cannot be written; 130 after Ctrl-C, 143 after SIGTERM.
    """

    def run() -> int:
        from .outputs import Report
        from .results import exit_code

        job = _Batch(
            inputs or [],
            files_from=files_from,
            nul=nul,
            input_format=input_format,
            output=output,
            pathway=pathway,
            jobs=jobs,
            limits=_limits(max_file_size, max_depth, max_alias_nodes),
            trace=explain,
        )
        with Report(output) as report:
            if job.parallel and format in (OutputFormat.json, OutputFormat.jsonl):
                from .render.json import Encoder, separator, write_blocks

                as_list = format is OutputFormat.json
                counts = [0, 0]
                encoder = Encoder(
                    job.pipeline.pathway,
                    pretty=as_list,
                    explain=explain,
                    top=top,
                    ascii=not report.sink.utf8,
                    references=references.value,
                )
                from .parallel import direct_output

                direct = direct_output(report.sink, as_list=as_list)
                blocks = job.blocks(encoder, separator(as_list=as_list), counts, direct)
                write_blocks(
                    _progress_blocks(blocks, quiet, output),
                    report.sink,
                    encoder,
                    as_list=as_list,
                )
                ok, failed = counts
            elif format is OutputFormat.table and output is None and _pager_wanted(no_pager):
                ok, failed = _paged_table(job.results(), explain=explain, top=top, detail=detail)
            else:
                results = _progress(job.results(), quiet=quiet, output=output)
                rendered = _render(
                    results,
                    format,
                    report.sink,
                    explain=explain,
                    top=top,
                    detail=detail,
                    pathway=job.pipeline.pathway,
                    references=references.value,
                )
                ok, failed = _tally(rendered)
            report.commit()
        _summary(ok, failed, quiet=quiet)
        return exit_code(failed)

    _guard(run)


def _render(
    results: Iterable[CaseResult],
    format: OutputFormat,
    sink: Any,
    *,
    explain: bool,
    top: int | None,
    detail: bool = False,
    pathway: Pathway,
    references: str = "each",
) -> Iterator[CaseResult]:
    if format is OutputFormat.json:
        from .render.json import write_json

        return write_json(results, sink, pathway, explain=explain, top=top, references=references)
    if format is OutputFormat.jsonl:
        from .render.json import write_jsonl

        return write_jsonl(results, sink, pathway, explain=explain, top=top, references=references)
    if format is OutputFormat.markdown:
        from .render.markdown import write_markdown

        return write_markdown(results, sink, explain=explain, top=top, detail=detail)
    if format is OutputFormat.html:
        from .render.html import write_html

        return write_html(results, sink, pathway, explain=explain, top=top, detail=detail)
    from .render.table import write_table

    return write_table(results, _console(sink), explain=explain, top=top, detail=detail)


def _pager_wanted(no_pager: bool) -> bool:
    """A pager only for a person at a terminal: never when piped, under CI, or asked not to."""
    if no_pager or os.environ.get("CI"):
        return False
    stdout = sys.stdout
    return stdout is not None and stdout.isatty()


def _paged_table(
    results: Iterator[CaseResult], *, explain: bool, top: int | None, detail: bool
) -> tuple[int, int]:
    """The table rendered for the terminal, through a pager when it is taller than the screen.

    The pager is ``$MYOSITIS_PAGER``, then ``$PAGER``, then ``less -FRX``, as git
    chooses one; an empty value or ``cat`` means none.
    """
    import io
    import shlex
    import shutil
    import subprocess

    from rich.console import Console

    from .render.table import write_table

    screen = Console(file=sys.stdout, highlight=False, markup=False, emoji=False)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=screen.is_terminal,
        color_system=screen.color_system,  # type: ignore[arg-type]
        width=_width(sys.stdout) or screen.width,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    ok, failed = _tally(
        _report_lines(write_table(results, console, explain=explain, top=top, detail=detail))
    )
    text = buffer.getvalue()
    height = shutil.get_terminal_size().lines
    pager = os.environ.get("MYOSITIS_PAGER", os.environ.get("PAGER", "less -FRX"))
    if text.count("\n") <= height or pager.strip() in ("", "cat"):
        _stdout_text(text)
        return ok, failed
    try:
        process = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE)
    except (OSError, ValueError):
        _stdout_text(text)
        return ok, failed
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
        process.stdin.close()
    except BrokenPipeError:  # the reader quit the pager early
        pass
    process.wait()
    return ok, failed


def _report_lines(results: Iterable[CaseResult]) -> Iterator[CaseResult]:
    for result in results:
        _print_problems(result)
        yield result


def _stdout_text(text: str) -> None:
    from .errors import OutputError

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise OutputError("standard output", exc.strerror or str(exc)) from None


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


def _watched(quiet: bool, output: Path | None) -> bool:
    """A person watches stderr while the report goes elsewhere."""
    if quiet or sys.stderr is None or not sys.stderr.isatty():
        return False
    return output is not None or sys.stdout is None or not sys.stdout.isatty()


PROGRESS_AFTER = 1.0  # seconds: a short batch never shows a bar


def _progress(
    results: Iterator[CaseResult], *, quiet: bool, output: Path | None
) -> Iterator[CaseResult]:
    """A progress bar on stderr once a batch has run a second, when a person is watching.

    The count of cases so far drives it; no total is counted ahead (that would
    walk the inputs twice), and it refreshes a few times a second.
    """
    if not _watched(quiet, output):
        return results
    return _with_bar(results, lambda result: 1)


def _progress_blocks(
    blocks: Iterator[tuple[Any, int]], quiet: bool, output: Path | None
) -> Iterator[Any]:
    """The blocks' records, counted on the bar by how many records each holds."""
    if _watched(quiet, output):
        blocks = _with_bar(blocks, lambda block: block[1])
    return (records for records, _ in blocks)


def _with_bar(items: Iterator[Any], count: Callable[[Any], int]) -> Iterator[Any]:
    """Count as items pass; draw at most four times a second, from this thread (no
    refresh thread, no per-item work beyond a clock read).

    Error lines that come while it shows are printed with its next draw, all
    at once: printed one by one, each would redraw the bar (8% of a batch
    with 2% bad files).
    """
    import time

    global _HELD
    clock = time.monotonic
    started = clock()
    next_draw = started + float(os.environ.get("MYOSITIS_PROGRESS_AFTER", PROGRESS_AFTER))
    done = 0
    progress: Any = None
    task: Any = None

    def release() -> None:
        global _HELD
        held, _HELD = _HELD, []
        if held and progress is not None:
            progress.console.out("\n".join(held), highlight=False)

    try:
        for item in items:
            done += count(item)
            now = clock()
            if now >= next_draw:
                next_draw = now + 0.25
                if progress is None:
                    from rich.progress import (
                        Progress,
                        SpinnerColumn,
                        TextColumn,
                        TimeElapsedColumn,
                    )

                    progress = Progress(
                        SpinnerColumn(),
                        TextColumn("{task.completed:,} records"),
                        TimeElapsedColumn(),
                        console=_console(sys.stderr, stderr=True),
                        transient=True,
                        auto_refresh=False,
                        redirect_stdout=False,  # the report goes elsewhere when a bar shows
                        redirect_stderr=False,  # our lines are held and printed with a draw
                    )
                    progress.start()
                    task = progress.add_task("records", total=None)
                    _HELD = []
                release()
                progress.update(task, completed=done, refresh=True)
            yield item
    finally:
        if progress is not None:
            release()
            progress.stop()
        _HELD = None


@app.command()
def validate(
    inputs: Inputs = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="text, json, or github (workflow annotations; the default under GitHub Actions).",
        ),
    ] = None,  # type: ignore[assignment]
    pathway: PathwayOption = None,
    output: OutputOption = None,
    jobs: JobsOption = 1,
    input_format: InputFormatOption = InputFormat.auto,
    files_from: FilesFrom = None,
    nul: NulSeparated = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")
    ] = False,
    max_file_size: MaxFileSize = _DEFAULT_LIMITS[0],
    max_depth: MaxDepth = _DEFAULT_LIMITS[1],
    max_alias_nodes: MaxAliasNodes = _DEFAULT_LIMITS[2],
) -> None:
    """Schema and semantic check of profiles only (therapy names resolved, no suggestions).

    Exit 0 when every document is valid, 1 otherwise, 2 for a usage error.
    """

    def run() -> int:
        from .outputs import Report
        from .render import reports
        from .results import exit_code

        chosen = _report_format(format)
        job = _Batch(
            inputs or [],
            files_from=files_from,
            nul=nul,
            input_format=input_format,
            output=output,
            pathway=pathway,
            jobs=jobs,
            limits=_limits(max_file_size, max_depth, max_alias_nodes),
            engine=False,
        )
        # text to the terminal is the problem lines themselves: not said twice on stderr
        echo = not (chosen is ReportFormat.text and output is None)
        with Report(output) as report:
            written = reports.write_validation(
                job.results(echo=echo), report.sink, chosen.value, job.pipeline.pathway
            )
            ok, failed = _tally(written)
            report.commit()
        _summary(ok, failed, quiet=quiet, noun="document")
        return exit_code(failed)

    _guard(run)


class ClassifyFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


@app.command()
def classify(
    inputs: Inputs = None,
    format: Annotated[
        ClassifyFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ClassifyFormat.table,
    pathway: PathwayOption = None,
    output: OutputOption = None,
    jobs: JobsOption = 1,
    input_format: InputFormatOption = InputFormat.auto,
    files_from: FilesFrom = None,
    nul: NulSeparated = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line or progress bar on stderr.")
    ] = False,
    max_file_size: MaxFileSize = _DEFAULT_LIMITS[0],
    max_depth: MaxDepth = _DEFAULT_LIMITS[1],
    max_alias_nodes: MaxAliasNodes = _DEFAULT_LIMITS[2],
) -> None:
    """The 2017 EULAR/ACR classification criteria for each profile, with the range over what is not recorded.

    The score without and with biopsy, the category, and what the unrecorded
    items could make of it.

    Classification for research and diagnosis support, not a diagnosis. Exit 0 when
    every case was classified, 1 when any was rejected (the others still are), 2 for a
    usage error; 130 after Ctrl-C, 143 after SIGTERM.
    """

    def run() -> int:
        from .outputs import Report
        from .render import classify as render
        from .results import exit_code

        job = _Batch(
            inputs or [],
            files_from=files_from,
            nul=nul,
            input_format=input_format,
            output=output,
            pathway=pathway,
            jobs=jobs,
            limits=_limits(max_file_size, max_depth, max_alias_nodes),
            engine=False,
            classify=True,
        )
        criteria = job.pipeline.pathway.criteria
        with Report(output) as report:
            results = _progress(job.results(), quiet=quiet, output=output)
            sink = report.sink
            if format in (ClassifyFormat.json, ClassifyFormat.jsonl):
                written = render.write_json(
                    results, sink, criteria, lines=format is ClassifyFormat.jsonl
                )
            elif format is ClassifyFormat.markdown:
                written = render.write_markdown(results, sink, criteria)
            else:
                written = render.write_text(results, sink, criteria, width=_width(sink) or 100)
            ok, failed = _tally(written)
            report.commit()
        _summary(ok, failed, quiet=quiet)
        return exit_code(failed)

    _guard(run)


class SummaryFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"
    html = "html"


MAX_RECORD_PROBLEMS = 20  # lines of unreadable records shown before they are only counted


@app.command()
def summarize(
    records: Annotated[
        list[str] | None,
        typer.Argument(
            help="suggest output: JSON Lines or JSON files, or - for stdin.",
            metavar="RECORDS...",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SummaryFormat.table,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Rows per table (json keeps all).", metavar="N")
    ] = 10,
    subtypes: Annotated[
        bool, typer.Option("--subtypes/--no-subtypes", help="Also summarise each subtype.")
    ] = True,
    output: OutputOption = None,
) -> None:
    """A cohort summary of suggest records (table, markdown, json, html).

    Cases ok and failed, refractory share, top options and ranks, alerts,
    exclusions by rule, the missing facts that most often could change the
    answer, and the same by subtype.

    Reads as a stream (memory does not grow with the number of records). Exit 0 when
    every record was read, 1 when a file or line was not a record (the rest are counted),
    2 for a usage error.
    """

    def run() -> int:
        _set_up_done()  # no pathway to load first: the work starts here
        from .outputs import Report, check_target
        from .problems import display, format_problem
        from .render import summary as render
        from .summary import Cohort, read_records

        paths = records or []
        if not paths:
            raise UsageError("no input: give suggest output files, or - for standard input")
        check_target(output, paths)
        cohort = Cohort()
        shown = 0
        for path in paths:
            label = "<stdin>" if path == "-" else path
            try:
                stream = (
                    sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
                )
            except OSError as exc:
                _err(f"{display(path)}: {exc.strerror or exc}")
                cohort.unreadable += 1
                continue
            try:
                for item in read_records(stream):
                    if item.data is not None:
                        cohort.add(item.data)
                        continue
                    cohort.unreadable += 1
                    if shown < MAX_RECORD_PROBLEMS and item.problem is not None:
                        _err(format_problem(label, item.problem))
                    shown += 1
            except OSError as exc:
                _err(f"{display(label)}: {exc.strerror or exc}")
                cohort.unreadable += 1
            finally:
                if path != "-":
                    stream.close()
        if shown > MAX_RECORD_PROBLEMS:
            _err(f"... and {shown - MAX_RECORD_PROBLEMS:,} more line(s) that were not records")
        data = cohort.data()
        with Report(output) as report:
            sink = report.sink
            if format is SummaryFormat.json:
                sink.write(render.render_json(data, ascii=not sink.utf8))
            elif format is SummaryFormat.markdown:
                sink.write(render.render_markdown(data, limit=limit, subtypes=subtypes) + "\n")
            elif format is SummaryFormat.html:
                sink.write(render.render_html(data, limit=limit, subtypes=subtypes))
            else:
                import shutil

                width = _width(sink) or shutil.get_terminal_size((100, 24)).columns
                sink.write(render.render_text(data, limit=limit, width=width, subtypes=subtypes))
            report.commit()
        return EXIT_FINDINGS if cohort.unreadable else EXIT_OK

    _guard(run)


@app.command()
def why(
    profile: Annotated[
        str, typer.Argument(help="The profile file (or - for stdin).", metavar="PROFILE")
    ],
    therapy: Annotated[
        str,
        typer.Argument(help="A therapy id or any of its names (MMF, IVIG...).", metavar="THERAPY"),
    ],
    format: Annotated[
        WhyFormat, typer.Option("--format", "-f", help="text or json.")
    ] = WhyFormat.text,
    pathway: PathwayOption = None,
    input_format: InputFormatOption = InputFormat.auto,
) -> None:
    """Why one therapy is offered at its rank, or why not: the rule, the missing fact, the node.

    Exit 0 when answered, 1 when the profile is invalid, 2 for a therapy the
    catalogue does not know (with the closest name) or another usage error.
    """

    def run() -> int:
        import json

        from . import batch
        from .profile import build_profile
        from .why import explain

        pw = _load(pathway)
        if pw.resolve_therapy(therapy) is None:
            guess = pw.closest_therapy(therapy)
            raise UsageError(
                f"'{therapy}' is not in the therapy catalogue"
                + (f" (did you mean {guess}?)" if guess else "")
            )
        from .pipeline import Pipeline

        pipeline = Pipeline(pw, engine=False)
        source = next(batch.expand([profile], input_format.value))
        answers: list[dict[str, Any]] = []
        failed = 0
        for result, data in _documents_once(pipeline, source):
            if not result.ok:
                _print_problems(result)
                failed += 1
                continue
            answer = explain(pw, build_profile(data, pw), therapy)
            answers.append(
                {
                    "source": result.source,
                    "document": result.document,
                    "id": result.id,
                    "therapy": answer.therapy,
                    "name": answer.name,
                    "status": answer.status,
                    "summary": answer.summary,
                    "details": list(answer.details),
                    **answer.data,
                }
            )
        if format is WhyFormat.json:
            _stdout_text(json.dumps(answers, ensure_ascii=False, indent=2) + "\n")
        else:
            from .problems import display

            lines = []
            for item in answers:
                lines.append(display(f"{item['id']}: {item['summary']}"))
                lines += [display(f"  {d}") for d in item["details"]]
            _stdout_text("\n".join(lines) + ("\n" if lines else ""))
        return EXIT_FINDINGS if failed else EXIT_OK

    _guard(run)


def _documents_once(pipeline: Any, source: Any) -> Iterator[tuple[CaseResult, Any]]:
    """Each document of one source, read once: its checked result and its data."""
    from . import loading
    from .documents import parse
    from .results import CaseResult

    if source.problem is not None:
        yield CaseResult(source.label, 0, None, problems=(source.problem,)), None
        return
    try:
        raw = (
            loading.read_stream(sys.stdin.buffer, pipeline.limits)
            if source.path is None
            else loading.read_file(source.path, pipeline.limits)
        )
    except loading.LoadError as exc:
        yield CaseResult(source.label, 0, None, problems=(exc.problem(),)), None
        return
    for document in parse(raw, source.fmt, pipeline.limits):
        yield pipeline.run_document(source.label, document), document.data


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
def schema(
    name: Annotated[SchemaName, typer.Argument(help="Which schema to print.")],
    columns: Annotated[
        bool,
        typer.Option(
            "--columns",
            help="record only: every top-level key with a SQL type, as JSON "
            "(DuckDB's read_json(..., columns=...)).",
        ),
    ] = False,
) -> None:
    """Print a contract: a JSON Schema (profile, pathway, case, record) or the CSV column contract.

    The CSV contract is itself CSV: column, type, values, required,
    since_version, description.
    """

    def run() -> int:
        from . import resources

        if columns:
            if name is not SchemaName.record:
                raise UsageError("--columns is for 'myositis schema record'")
            import json

            from .results import record_columns

            sys.stdout.write(json.dumps(record_columns(), indent=2) + "\n")
        elif name is SchemaName.csv:
            from .flat import contract_csv

            sys.stdout.write(contract_csv())
        else:
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

        raw = (resources.data_dir("schemas") / "profile-template.yaml").read_text(encoding="utf-8")
        # the editor modeline points at the schema this installation uses
        template = raw.replace("{schema}", resources.schema_path("profile").resolve().as_uri())
        if file is None:
            sys.stdout.write(template)
            return EXIT_OK
        if os.path.lexists(file) and not force:
            raise UsageError(f"{file}: already exists (use --force to overwrite)")
        if os.path.islink(file):
            raise UsageError(f"{file}: is a symbolic link; not written through it")
        from .outputs import Report

        with Report(file) as report:  # a temporary beside it, renamed: never through a link
            report.sink.write(template)
            report.commit()
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
            help="Pathway files (default: ./pathways/*.yaml when here, else the bundled one).",
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
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings fail too (exit 1), as yamllint --strict.")
    ] = False,
    select_rules: Annotated[
        str | None,
        typer.Option(
            "--select", help="Report only these rules (comma-separated).", metavar="RULE,..."
        ),
    ] = None,
    ignore_rules: Annotated[
        str | None,
        typer.Option(
            "--ignore", help="Never report these rules (comma-separated).", metavar="RULE,..."
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even with findings (report only).")
    ] = False,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Also count the findings per rule.")
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="A git revision to compare with: content changed and version unchanged is "
            "an error (version-unchanged).",
            metavar="REV",
        ),
    ] = None,
) -> None:
    """Lint a pathway: schema, references, reachability, evidence on every option.

    The first line names the file checked and its sha256. Exit 0 when there are no
    errors (warnings too with --strict), 1 when there are, 2 for usage errors.
    """

    def run() -> int:
        _set_up_done()  # no pathway to load first: the work starts here
        from . import lint, review
        from .render import reports

        chosen = _report_format(format)
        if base is not None and base.startswith("-"):
            raise UsageError(f"--base {base}: a revision may not start with '-'")
        selected = review.rule_list(select_rules, "--select")
        ignored = review.rule_list(ignore_rules, "--ignore")
        targets = [str(p) for p in pathways] if pathways else review.local_pathways()
        findings = []
        for target in targets:
            if not os.path.isfile(target):
                raise UsageError(f"{target}: no such pathway file")
            line = review.banner("pathway check", target)
            if chosen is ReportFormat.json:
                _err(line)
            else:
                sys.stdout.write(line + "\n")
            found = lint.check(
                target,
                cases_dir=str(cases) if cases else None,
                max_age_days=max_age_days,
                base=base,
            )
            findings.extend(review.select(found, selected, ignored))
        reports.write_findings(findings, sys.stdout, chosen.value)
        errors = sum(1 for f in findings if f.severity == "error")
        summary = (
            f"{len(targets)} pathway(s): {errors} error(s), {len(findings) - errors} warning(s)"
            if findings
            else f"{len(targets)} pathway(s): no findings"
        )
        if statistics:
            (sys.stdout if chosen is not ReportFormat.json else sys.stderr).write(
                "".join(line + "\n" for line in review.statistics(findings))
            )
        if chosen is not ReportFormat.json:
            _err(summary)
        review.step_summary(reports.findings_markdown(targets, findings))
        return review.exit_for(findings, strict=strict, exit_zero=exit_zero)

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
            help="Fail when node coverage is below PCT (full runs only).",
            metavar="PCT",
        ),
    ] = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", help="text, json, or github (annotations on failing cases)."
        ),
    ] = None,  # type: ignore[assignment]
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Rewrite the selected cases' expectations from today's answers (needs -k or --all); "
            "shows the diff first.",
        ),
    ] = False,
    update_all: Annotated[bool, typer.Option("--all", help="With --update: every case.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --update: show the diff, write nothing.")
    ] = False,
) -> None:
    """Run golden cases against a pathway: failures, then node, rule and alert coverage.

    Without --pathway: ./pathways/*.yaml when here (with their cases/), else the bundled
    pathway; the first line names the file and its sha256. Exit 0 when all pass (and
    coverage meets --min-coverage), 1 otherwise.
    """

    def run() -> int:
        from . import golden, review
        from .render import reports

        chosen = _report_format(format)
        if update and not (pattern or update_all):
            raise UsageError(
                "--update rewrites golden cases: choose them with -k PATTERN, or --all"
            )
        if update_all and not update:
            raise UsageError("--all goes with --update")
        targets = [str(pathway)] if pathway is not None else review.local_pathways()
        passed = True
        for target in targets:
            line = review.banner("pathway test", target)
            if chosen is ReportFormat.json:
                _err(line)
            else:
                sys.stdout.write(line + "\n")
            pw = _load(Path(target))
            directory = str(cases) if cases else golden.default_cases_dir(pw)
            if update:
                passed = _update_cases(pw, directory, pattern, dry_run=dry_run) and passed
                continue
            report = golden.run_cases(pw, directory, pattern=pattern)
            reports.write_golden(
                report, sys.stdout, chosen.value, min_coverage, full=pattern is None
            )
            review.step_summary(reports.golden_markdown(report, full=pattern is None))
            ok = report.failed == 0 and report.errors == 0 and report.total > 0
            if (
                pattern is None
                and min_coverage is not None
                and report.node_coverage() * 100 < min_coverage
            ):
                ok = False
            passed = passed and ok
        return EXIT_OK if passed else EXIT_FINDINGS

    _guard(run)


def _update_cases(pw: Pathway, directory: str, pattern: str | None, *, dry_run: bool) -> bool:
    """Rewrite failing expectations from today's answers; True when every case now passes."""
    from . import golden, review
    from .pipeline import Pipeline

    pipeline = Pipeline(pw)
    changed = 0
    clean = True
    for path in golden.case_files(directory):
        loaded, problems = golden.load_case(path, pipeline)
        if loaded is None:
            for p in problems:
                _err(f"{path}: cannot update an invalid case: {p.message}")
            clean = False
            continue
        case_id = loaded.data["profile"]["id"]
        if pattern and pattern not in os.path.basename(path) and pattern not in case_id:
            continue
        rec = loaded.result.recommendation
        assert rec is not None
        expect = loaded.data["expect"]
        new, dropped = review.updated_expect(expect, rec)
        if new == expect:
            continue
        with open(path, encoding="utf-8") as handle:
            before = handle.read()
        after = review.rewrite_expect(before, new)
        sys.stdout.write(review.unified(path, before, after))
        for key in dropped:
            _err(f"{path}: expectation '{key}' could not be rewritten from the answer: dropped")
        changed += 1
        if not dry_run:
            from .outputs import Report

            with Report(Path(path)) as report:
                report.sink.write(after)
                report.commit()
    _err(f"{changed} case(s) {'would be ' if dry_run else ''}updated")
    return clean


@pathway_app.command("case")
def pathway_case(
    profile: Annotated[
        str, typer.Argument(help="A profile file (or - for stdin).", metavar="PROFILE")
    ],
    pathway: PathwayOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the case to FILE (refuses to overwrite).", dir_okay=False
        ),
    ] = None,
    input_format: InputFormatOption = InputFormat.auto,
) -> None:
    """Scaffold a golden case from a profile: its expectations are today's answer, to check."""

    def run() -> int:
        from . import batch, review
        from .outputs import Report
        from .pipeline import Pipeline

        pw = _load(pathway)
        source = next(batch.expand([profile], input_format.value))
        found = list(_documents_once(Pipeline(pw), source))
        if len(found) != 1:
            raise UsageError(f"{profile}: expected one profile, found {len(found)} documents")
        result, data = found[0]
        if not result.ok or result.recommendation is None:
            _print_problems(result)
            return EXIT_FINDINGS
        text = review.scaffold(data, result.recommendation, pw, profile)
        if output is not None:
            if output.exists() or output.is_symlink():
                raise UsageError(f"{output}: already exists; not overwritten")
            with Report(output) as report:
                report.sink.write(text)
                report.commit()
        else:
            sys.stdout.write(text)
        return EXIT_OK

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
    details: Annotated[
        Path | None,
        typer.Option(
            "--details",
            help="Write every case's changes to FILE (.md, .json or text by its suffix).",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 1 when any case's answer changes.")
    ] = False,
    fail_on_invalid: Annotated[
        bool,
        typer.Option("--fail-on-invalid", help="Exit 1 when a case profile is invalid."),
    ] = False,
) -> None:
    """What an edit of the pathway changed (the edit, named) and its consequences for cases.

    Exit 1 when the content changed but the version did not rise (version-unchanged), with
    --fail-on-change when an answer changed, with --fail-on-invalid when a profile is
    invalid; else 0.
    """

    def run() -> int:
        _set_up_done()  # no pathway to load first: the work starts here
        from . import impact, review
        from .outputs import Report, check_target
        from .render import diffs

        # the pathways compared (files, not REV:path) and the cases are inputs
        check_target(details, [old, new, *cases])
        report = impact.compare(old, new, cases)
        if details is not None:
            kind = {".md": "markdown", ".markdown": "markdown", ".json": "json"}.get(
                details.suffix.lower(), "text"
            )
            with Report(details) as written:
                diffs.write(
                    report, sys.stdout, format.value, details=written.sink, details_fmt=kind
                )
                written.commit()
        else:
            diffs.write(report, sys.stdout, format.value)
        if format is not DiffFormat.json:
            _err(
                f"{report.total} case(s): {report.changed} changed, "
                f"{report.total - report.changed - report.errors} unchanged"
                + (f", {report.errors} invalid (not compared)" if report.errors else "")
            )
        review.step_summary(diffs.markdown(report))
        if report.version_problem:
            _err(f"error: {report.version_problem} [version-unchanged]")
            return EXIT_FINDINGS
        if fail_on_invalid and report.errors:
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


class DocFormat(str, Enum):
    markdown = "markdown"
    html = "html"


@pathway_app.command("doc")
def pathway_doc(
    pathway: Annotated[
        Path | None,
        typer.Argument(
            help="The pathway file (default: ./pathways/*.yaml when here, else the bundled one).",
            metavar="[PATHWAY]",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    format: Annotated[
        DocFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DocFormat.markdown,
    output: OutputOption = None,
) -> None:
    """The pathway as a document for reviewers (markdown, html).

    Every node, therapy, rule, alert and reference, in words, each with its
    id; unreachable nodes marked.
    """

    def run() -> int:
        from . import lint, review
        from .outputs import Report, check_target
        from .render import document

        target = Path(pathway) if pathway is not None else Path(review.local_pathways()[0])
        pw = _load(target)
        check_target(output, [], pw.source)
        unreachable = lint.unreachable_nodes(pw)
        text = (
            document.html(pw, unreachable)
            if format is DocFormat.html
            else document.markdown(pw, unreachable)
        )
        with Report(output) as report:
            report.sink.write(text)
            report.commit()
        return EXIT_OK

    _guard(run)


class LabelStyle(str, Enum):
    short = "short"
    full = "full"


@pathway_app.command("export")
def pathway_export(
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Diagram language.")
    ] = ExportFormat.mermaid,
    pathway: PathwayOption = None,
    output: OutputOption = None,
    root: Annotated[
        str | None,
        typer.Option("--root", help="Only the subtree under this node id.", metavar="NODE"),
    ] = None,
    labels: Annotated[
        LabelStyle,
        typer.Option("--labels", help="Edge labels: short (readable as a picture) or full."),
    ] = LabelStyle.short,
) -> None:
    """The decision tree as diagram source (Mermaid or Graphviz dot)."""

    def run() -> int:
        from .outputs import Report, check_target
        from .render import tree

        pw = _load(pathway)
        check_target(output, [], pw.source)
        text = (
            tree.mermaid(pw, root=root, labels=labels.value)
            if format is ExportFormat.mermaid
            else tree.dot(pw, root=root, labels=labels.value)
        )
        with Report(output) as report:
            report.sink.write(text)
            report.commit()
        return EXIT_OK

    _guard(run)


_SETTING_UP = False  # main() turned the collector off until the first case


def _set_up_done() -> None:
    """From here on the collector runs, without sweeping what set-up built."""
    global _SETTING_UP
    if _SETTING_UP:
        _SETTING_UP = False
        gc.freeze()
        gc.enable()


def main() -> None:
    """Console-script entry point: the command, with every ending mapped to an exit code."""
    global _SETTING_UP
    import signal

    _SETTING_UP = gc.isenabled()
    gc.disable()

    from .errors import EXIT_TERMINATED, EXIT_USAGE, OutputError, Terminated

    _prepare_streams()
    if hasattr(signal, "SIGPIPE"):  # the reader went away (| head): stop quietly, as cat does
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    def terminated(number: int, frame: Any) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, terminated)
    code: Any = 0
    try:
        _app_for(sys.argv[1:])()
    except SystemExit as exc:
        code = exc.code
    except OutputError as exc:  # while printing help or the version
        _err(exc.message)
        code = EXIT_USAGE
    except OSError as exc:
        _err(f"myositis: cannot write standard output: {exc.strerror or exc}")
        code = EXIT_USAGE
    except Terminated:
        code = EXIT_TERMINATED
    except Exception as exc:  # outside any command (option parsing): still one line
        if os.environ.get("MYOSITIS_DEBUG"):
            raise
        _err(f"myositis: internal error ({type(exc).__name__}: {exc}); please report it")
        code = EXIT_USAGE
    _set_up_done()  # a command that never got to its first case
    code = _final_flush(code)
    _report_usage()
    sys.exit(code)


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command named first, when one is named exactly.

    Typer builds the parser of every registered command at each start (about
    10 ms for these fifteen, most of a one-case run's overhead); running one
    needs only its own. The same Typer parses: help, errors and options are
    those of the full app. Anything else (no command, an option first, a
    misspelt name that deserves its did-you-mean) gets the full app.
    """
    if not args:
        return app
    group, rest = app, args
    if args[0] == "pathway" and len(args) > 1:
        group, rest = pathway_app, args[1:]
    chosen = [c for c in group.registered_commands if _command_name(c) == rest[0]]
    if len(chosen) != 1:
        return app
    lean = copy.copy(group)
    lean.registered_commands = chosen
    lean.registered_groups = []
    if group is app:
        return lean
    top = copy.copy(app)
    top.registered_commands = []
    top.registered_groups = []
    for info in app.registered_groups:
        if info.typer_instance is pathway_app:
            info = copy.copy(info)
            info.typer_instance = lean
        top.registered_groups.append(info)
    return top


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.replace("_", "-"))


def _report_usage() -> None:
    """For benchmarks/run.py: this process's own CPU time and its workers', as JSON."""
    target = os.environ.get("MYOSITIS_BENCH_RUSAGE")
    if not target:
        return
    import json
    import resource

    own, workers = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    try:
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "main_cpu": own.ru_utime + own.ru_stime,
                    "main_user": own.ru_utime,
                    "main_system": own.ru_stime,
                    "workers_cpu": workers.ru_utime + workers.ru_stime,
                    "main_max_rss_kib": own.ru_maxrss,
                },
                handle,
            )
    except OSError:
        pass


def _prepare_streams() -> None:
    """Closed standard streams, and terminals that cannot show every character.

    A closed stdout or stderr is replaced by a stream that reports the
    failure in one line instead of crashing; text output to a stream that is
    not UTF-8 escapes what it cannot encode instead of failing on it.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            continue
        try:
            if stream.encoding and stream.encoding.lower().replace("-", "") != "utf8":
                stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass


def _final_flush(code: Any) -> Any:
    """Flush stdout before the interpreter does, so a full disk is one line, not a trace."""
    from .errors import EXIT_USAGE

    stream = sys.stdout
    if stream is None:
        return code
    try:
        stream.flush()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        _err(f"myositis: cannot write standard output: {reason}")
        code = EXIT_USAGE if code in (0, None) else code
        try:  # nothing more to write: let the interpreter's own flush succeed
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
    return code


if _COLLECTING_BEFORE:
    gc.enable()

if __name__ == "__main__":  # pragma: no cover
    main()
