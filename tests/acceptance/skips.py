"""The acceptance suite's skip policy: a skipped test checked nothing, and the Abnahme must
not accept what was never checked.

Only the named cases in ``EXPECTED_SKIPS`` may skip, through ``expected_skip``; the case is
recorded with the test (``user_properties``, and so in the JSON summary and the JUnit XML).
Every other skip fails the test: a ``pytest.skip`` somebody added, a skip or skipif mark,
an empty parameter set, an xfail, a module skipped at import. The conftest imports the hooks
below, so they apply whenever the suite runs.

    expected_skip("user_disabled_in_rz", f"{user['new_name']} is disabled in the central directory")
"""

from __future__ import annotations

import pytest

# key -> why a test may skip for it. A key is part of the suite's results: keep it stable.
EXPECTED_SKIPS = {
    "user_disabled_in_rz": (
        "the user's account is disabled in the central directory and cannot log on: an account the Kommune "
        "disabled itself reaches the RZ disabled (docs/accounts.md); one the accounts payload could not give a "
        "password is its own inhibitor, accounts.no_password"
    ),
}
PROPERTY = "expected_skip"


class ExpectedSkip(pytest.skip.Exception):
    """A skip for one of the named cases; ``key`` says which."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


def expected_skip(key: str, message: str):
    """Skip the running test for the named case ``key``; ``message`` says which object."""
    if key not in EXPECTED_SKIPS:
        raise ValueError(f"{key!r} is not a named expected skip of the acceptance suite "
                         f"(tests/acceptance/skips.py knows {', '.join(sorted(EXPECTED_SKIPS))})")
    raise ExpectedSkip(key, message)


def unexpected(reason: str) -> str:
    return (f"unexpected skip ({reason}): the acceptance suite skips only the named cases "
            f"{', '.join(sorted(EXPECTED_SKIPS))} (tests/acceptance/skips.py); a test that did not run checked "
            "nothing, so this counts as a failure")


def skip_reason(report) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail {report.wasxfail}".strip()
    if isinstance(report.longrepr, tuple):
        return report.longrepr[2]
    return str(report.longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    expected = call.excinfo is not None and call.excinfo.errisinstance(ExpectedSkip)
    if expected:
        item.user_properties.append((PROPERTY, call.excinfo.value.key))
    report = yield
    if report.skipped and not expected:
        reason = skip_reason(report)
        report.outcome = "failed"
        report.longrepr = unexpected(reason)
        if hasattr(report, "wasxfail"):
            del report.wasxfail
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = unexpected(skip_reason(report))
    return report


def expected_skip_of(report) -> str | None:
    """The named case a test report skipped for, or None."""
    return next((value for name, value in report.user_properties if name == PROPERTY), None)
