"""The HTML report in a real browser: headless Chromium renders it, draws it and reads it back."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html import escape
from pathlib import Path

import pytest
from helpers import EXAMPLES, SCRIPT

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str | None:
    named = os.environ.get("MYOSITIS_BROWSER")
    if named:
        return named
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


BROWSER = _browser()
if BROWSER is None and os.environ.get("MYOSITIS_REQUIRE_BROWSER"):
    # .ci/run installs Debian's chromium and sets this: a missing browser there is a failure
    raise RuntimeError("MYOSITIS_REQUIRE_BROWSER is set but no Chromium was found")
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on this machine (apt-get install chromium; .ci/run installs it)",
)


def _headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    return subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _ink(png: bytes) -> float:
    """Share of pixels that are not near-white: enough to tell a drawn page from a blank one."""
    import numpy as np

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4
    rows = np.frombuffer(zlib.decompress(b"".join(chunks)), np.uint8).reshape(height, -1)
    image = np.zeros((height, width * channels), np.uint8)
    previous = np.zeros(width * channels, np.int64)
    for row in range(height):  # undo the PNG row filters
        kind, line = rows[row, 0], rows[row, 1:].astype(np.int64)
        if kind == 1:
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) & 255
        elif kind == 2:
            line = (line + previous) & 255
        elif kind in (3, 4):
            for i in range(line.size):
                left = int(line[i - channels]) if i >= channels else 0
                up = int(previous[i])
                corner = int(previous[i - channels]) if i >= channels else 0
                if kind == 3:
                    line[i] = (line[i] + (left + up) // 2) & 255
                else:
                    guess = left + up - corner
                    pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                    best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                    line[i] = (line[i] + best) & 255
        image[row], previous = line, line
    pixels = image.reshape(height, width, channels)[:, :, :3]
    return float((pixels.min(axis=2) < 200).mean())


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """One run's report over every bundled example, and the same run's records."""
    folder = tmp_path_factory.mktemp("html")
    page = folder / "report.html"
    made = subprocess.run(
        [SCRIPT, "suggest", str(EXAMPLES), "--format", "html", "-o", str(page), "-q"],
        capture_output=True,
        text=True,
    )
    assert made.returncode in (0, 1), made.stderr
    records = json.loads(
        subprocess.run(
            [SCRIPT, "suggest", str(EXAMPLES), "--format", "json", "-q"],
            capture_output=True,
            text=True,
        ).stdout
    )
    return page, records


def test_the_report_draws_a_page_that_is_not_blank(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, _ = report
    shot = tmp_path / "shot.png"
    done = _headless(tmp_path, "--window-size=1000,1400", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    ink = _ink(shot.read_bytes())
    assert ink > 0.02, f"only {ink:.1%} of the page is drawn"
    # a blank page is white; a page of nothing but a dark error is not a report either
    assert ink < 0.6, f"{ink:.1%} of the page is dark"


def test_every_case_and_its_top_option_are_in_the_rendered_dom(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, records = report
    done = _headless(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    sections = done.stdout.split('<section class="case"')[1:]
    ok = [r for r in records if r["status"] == "ok"]
    assert ok and len(sections) == len(ok)
    for section, rec in zip(sections, ok, strict=True):
        assert str(rec["id"]) in section
        options = rec["options"]
        assert isinstance(options, list)
        if options:
            assert f"<b>{escape(str(options[0]['name']), quote=False)}</b>" in section, rec["id"]
    # self-contained: nothing fetched from anywhere
    assert "http-equiv" not in done.stdout and "<script" not in done.stdout
    assert 'src="http' not in done.stdout and "@import" not in done.stdout


def test_the_report_prints_to_pdf(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, _ = report
    pdf = tmp_path / "report.pdf"
    done = _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.exists(), done.stderr[-2000:]
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF") and body.count(b"/Type /Page") >= 2
