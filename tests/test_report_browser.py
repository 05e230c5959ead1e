"""The report page in headless Chromium: it draws something and raises no console errors.

Chromium is driven over the DevTools protocol with tornado's websocket client
(tornado comes with distributed): enable the Runtime and Log domains, load the
page from a ``file://`` URL, collect exceptions and console errors, and take a
screenshot. Control pages check that the checks themselves can fail.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from advisor.report.build import build_report
from advisor.report.render import render_report
from advisor.report.writer import write_report
from tests.test_report import FIXTURE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (.ci/run installs the Debian package 'chromium')",
    ),
]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--window-size=1280,2000",
)
WIDTH, HEIGHT = 1280, 2000
TIMEOUT = 60.0


@dataclass
class Visit:
    """What one page load showed: errors, a screenshot (PNG bytes) and a few DOM facts."""

    errors: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    scripts: int = -1
    images: int = -1
    broken_images: int = -1


class Browser:
    """A headless Chromium and its DevTools endpoint."""

    def __init__(self, profile: Path) -> None:
        self.log = (profile.parent / "chromium.log").open("w")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.port = self._wait_for_port(profile / "DevToolsActivePort")
        self._ids = itertools.count(1)

    def _wait_for_port(self, path: Path) -> int:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            if path.is_file() and (lines := path.read_text().split()):
                return int(lines[0])
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def _page_socket(self) -> str:
        """The DevTools websocket of the browser's tab (it may take a moment to appear)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            url = f"http://127.0.0.1:{self.port}/json/list"
            with urllib.request.urlopen(url, timeout=10) as response:
                targets = json.load(response)
            pages = [t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"]
            if pages:
                return pages[0]
            time.sleep(0.1)
        raise RuntimeError("chromium has no page to drive")

    def visit(self, url: str) -> Visit:
        return asyncio.run(asyncio.wait_for(self._visit(url), TIMEOUT))

    async def _visit(self, url: str) -> Visit:
        from tornado.websocket import websocket_connect

        conn = await websocket_connect(self._page_socket(), max_message_size=256 * 2**20)
        visit = Visit()
        events: list[dict] = []

        async def call(method: str, **params: object) -> dict:
            ident = next(self._ids)
            await conn.write_message(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = await conn.read_message()
                if message is None:
                    raise RuntimeError("DevTools connection closed")
                data = json.loads(message)
                if data.get("id") == ident:
                    if "error" in data:
                        raise RuntimeError(f"{method}: {data['error']}")
                    return data.get("result", {})
                events.append(data)

        async def until(event: str) -> None:
            while not any(e.get("method") == event for e in events):
                message = await conn.read_message()
                if message is None:
                    raise RuntimeError("DevTools connection closed")
                events.append(json.loads(message))

        try:
            for domain in ("Runtime", "Log", "Page"):
                await call(f"{domain}.enable")
            await call(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=HEIGHT,
                deviceScaleFactor=1,
                mobile=False,
            )
            await call("Page.navigate", url=url)
            await until("Page.loadEventFired")
            facts = await call(
                "Runtime.evaluate",
                returnByValue=True,
                expression="""({
                    scripts: document.querySelectorAll('script').length,
                    images: document.images.length,
                    broken: Array.from(document.images)
                        .filter(i => !(i.complete && i.naturalWidth > 0)).length,
                })""",
            )
            value = facts["result"]["value"]
            visit.scripts, visit.images = value["scripts"], value["images"]
            visit.broken_images = value["broken"]
            shot = await call("Page.captureScreenshot", format="png")
            visit.screenshot = base64.b64decode(shot["data"])
        finally:
            conn.close()
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                visit.errors.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                visit.errors.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                visit.errors.append(params["entry"].get("text", ""))
        return visit


def blankness(png: bytes) -> tuple[int, float]:
    """Distinct colours and the share of pixels that are not (near) white."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3)
    colours = len(np.unique(pixels, axis=0))
    inked = float((pixels.min(axis=1) < 235).mean())
    return colours, inked


def assert_not_blank(png: bytes) -> None:
    colours, inked = blankness(png)
    assert colours >= 64, f"only {colours} colours"
    assert inked >= 0.03, f"only {inked:.1%} of the pixels are not white"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def test_the_report_renders_without_errors(
    browser: Browser, tmp_path: Path, catalog_copy: Path
) -> None:
    results = FIXTURE if (FIXTURE / "benchmarks.json").is_file() else None
    index = write_report(render_report(build_report(results, catalog_copy)), tmp_path / "out")
    visit = browser.visit(index.as_uri())
    (tmp_path / "screenshot.png").write_bytes(visit.screenshot)
    assert visit.errors == []
    assert visit.scripts == 0
    assert visit.broken_images == 0
    if results is not None:
        assert visit.images == 2  # the codec and the save figures, embedded
    assert_not_blank(visit.screenshot)


def test_the_checks_catch_errors_and_blank_pages(browser: Browser, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><title>x</title><p>text</p>"
        "<script>console.error('logged'); throw new Error('boom')</script>"
        "<img src='data:image/png;base64,AAAA'>"
    )
    visit = browser.visit(broken.as_uri())
    assert any("boom" in e for e in visit.errors), visit.errors
    assert any("logged" in e for e in visit.errors), visit.errors
    assert visit.scripts == 1 and visit.broken_images == 1
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>")
    with pytest.raises(AssertionError, match=r"colours|white"):
        assert_not_blank(browser.visit(blank.as_uri()).screenshot)
