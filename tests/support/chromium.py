"""Debian's headless Chromium, driven over the DevTools protocol on a pipe, for the tests of report.html.

Chromium speaks the protocol on file descriptors 3 (commands in) and 4 (answers and events out)
when started with --remote-debugging-pipe: JSON messages, each ended by a NUL byte. That needs
nothing beyond the standard library and the browser `make bootstrap` installs (Debian's
`chromium`), where Playwright or Selenium would bring their own browser build or a driver and a
Python package each, for the few commands these tests send (open a page, evaluate a script,
click). A missing browser fails the test that needs it; it never skips.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium_path() -> str:
    """The browser's path; the calling test fails, loudly, when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed: `make bootstrap` installs it (apt-get install chromium)",
                    pytrace=False)
    return path


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class BrowserError(AssertionError):
    """The page or the browser did not do what a test asked of it."""


class Chromium:
    """One headless browser with one page. Use as a context manager; the browser ends with it."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 1600, timeout: float = 120):
        self.timeout = timeout
        self.errors: list[str] = []
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict] = []
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # The browser's ends above 9, so that putting them where Chromium looks for them (fd 3 and 4,
        # which bash does) and closing the originals never closes one of the two.
        commands_read, answers_write = (_above_nine(fd) for fd in (commands_read, answers_write))
        script = f'exec "$@" 3<&{commands_read} 4>&{answers_write} {commands_read}<&- {answers_write}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", script, "chromium", chromium_path(), *FLAGS, "--remote-debugging-pipe",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(commands_read, answers_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(commands_read)
        os.close(answers_write)
        self.session = None

    def __enter__(self) -> Chromium:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._answers)
        self.process.stderr.close()

    # --- the protocol ----------------------------------------------------------------------------

    def send(self, method: str, session: bool = True, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer = self._receive(lambda m: m.get("id") == message["id"])
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def wait_for(self, event: str) -> dict:
        for index, message in enumerate(self._events):
            if message.get("method") == event:
                return self._events.pop(index)
        return self._receive(lambda m: m.get("method") == event, keep_events=False)

    def _receive(self, wanted, keep_events: bool = True) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                self._note(message)
                if wanted(message):
                    return message
                if keep_events and "method" in message:
                    self._events.append(message)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise BrowserError(f"Chromium did not answer within {self.timeout} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium ended: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
            self._buffer += chunk

    def _note(self, message: dict) -> None:
        """Every script error and console error of the page, for a test to assert there are none."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(arg.get("value")) for arg in params.get("args", ())))

    # --- what the tests do -----------------------------------------------------------------------

    def open(self, path: Path) -> float:
        """Loads ``path`` and waits for its load event; returns the seconds it took."""
        start = time.monotonic()
        self._events.clear()
        self.send("Page.navigate", url=path.as_uri())
        self.wait_for("Page.loadEventFired")
        return time.monotonic() - start

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) in the middle of the element ``selector`` names."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + Math.min(r.width / 2, 20), r.top + r.height / 2]; })()"
        )
        if box is None:
            raise BrowserError(f"nothing on the page matches {selector}")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
