"""Report helpers: GitHub workflow-command escaping, the progress bar's manners."""

from __future__ import annotations

import io
import sys

import pytest

from myositis_cli import cli
from myositis_cli.render.reports import github_command, github_escape


def test_github_escaping_of_data_and_properties() -> None:
    assert github_escape("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github_escape("a:b,c", prop=True) == "a%3Ab%2Cc"
    assert github_escape("a:b,c") == "a:b,c"  # data keeps ':' and ','
    line = github_command(
        "error", "bad: 100%\nreally", file="cases/a,b.yaml", line=3, column=7, title="x: y"
    )
    assert line == "::error file=cases/a%2Cb.yaml,line=3,col=7,title=x%3A y::bad: 100%25%0Areally"
    assert (
        github_command("warning", "m", file="f", line=None, column=None, title="t")
        == "::warning file=f,title=t::m"
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_for_a_watching_person(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    results = iter([1, 2, 3])
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert cli._progress(results, quiet=False, output=None) is results  # stderr not a terminal
    monkeypatch.setattr(sys, "stderr", _Tty())
    monkeypatch.setattr(sys, "stdout", _Tty())
    assert cli._progress(results, quiet=False, output=None) is results  # report on the terminal
    assert cli._progress(results, quiet=True, output=tmp_path / "o") is results  # --quiet
    assert cli._progress(results, quiet=False, output=tmp_path / "o") is not results


def test_progress_bar_appears_only_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _Tty()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 3600.0)
    assert list(cli._with_bar(iter(range(1000)), lambda item: 1)) == list(range(1000))
    assert stderr.getvalue() == ""  # a short batch never draws a bar
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)
    assert list(cli._with_bar(iter(range(5)), lambda item: 1)) == list(range(5))


class _CountingText(io.TextIOWrapper):
    """A text stream that counts its flushes (each a write(2) on a real file)."""

    flushes = 0

    def flush(self) -> None:
        type(self).flushes += 1
        super().flush()


def test_a_sink_keeps_text_and_bytes_in_order_and_flushes_only_on_a_switch() -> None:
    from myositis_cli.outputs import Sink

    raw = io.BytesIO()
    binary = io.BufferedWriter(raw)  # type: ignore[arg-type]
    text = _CountingText(binary, encoding="utf-8", newline="\n")
    sink = Sink(text, "test", binary)  # type: ignore[arg-type]
    _CountingText.flushes = 0
    sink.write("[")
    sink.write_bytes(b"1,")
    sink.write_bytes(b"2,")
    sink.write_bytes(b"3")
    assert _CountingText.flushes == 1  # before the first bytes only, not per record
    sink.write("]\n")
    sink.write_bytes(b"tail\n")
    sink.flush()
    assert raw.getvalue() == b"[1,2,3]\ntail\n"
    assert _CountingText.flushes == 3  # the switch back, and the final flush


def test_a_report_into_a_folder_is_refused_before_anything_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from myositis_cli.errors import OutputError
    from myositis_cli.outputs import Report

    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a directory"), Report(folder):
        pass
    assert list(tmp_path.iterdir()) == [folder] and not list(folder.iterdir())
