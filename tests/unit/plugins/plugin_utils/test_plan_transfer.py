"""The Kommune's link and transfer policy in the plan: each problem refused with one exact sentence."""

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, parse_plan

from .test_plan import FILE, K0, VALID, errors_of

WINDOW = '        window: {start: "2025-03-14 18:00", end: "2025-03-16 18:00"}\n'


def with_transfer(block: str) -> str:
    """The valid plan with ``block`` (Kommune-level keys) after altdorf's window (line 23),
    so the block begins on line 24."""
    assert VALID.count(WINDOW) == 1
    return VALID.replace(WINDOW, WINDOW + block)


OFFICE = """\
        link: {bandwidth: 100, latency: 20}
        transfer:
          limit: 80
          compress: false
          schedule:
            - {days: mon-fri, start: "07:00", end: "17:00", limit: 20}
            - {days: [sat], start: "08:00", end: "12:00", limit: 50}
"""
T = f"{K0}.transfer"

CASES = [
    ("limit above the link", OFFICE.replace("limit: 20}", "limit: 120}"),
     [f"{FILE}:29: {T}.schedule[0].limit: a limit of 120 Mbit/s is above the link's bandwidth "
      "(100 Mbit/s, link.bandwidth)"]),
    ("default limit above the link", OFFICE.replace("limit: 80", "limit: 100.5"),
     [f"{FILE}:26: {T}.limit: a limit of 100.5 Mbit/s is above the link's bandwidth (100 Mbit/s, link.bandwidth)"]),
    ("unknown weekday", OFFICE.replace("days: [sat]", "days: [sat, sonntag]"),
     [f"{FILE}:30: {T}.schedule[1].days: 'sonntag' is not a weekday or a range of them "
      "(mon, tue, wed, thu, fri, sat, sun, e.g. 'mon-fri')"]),
    ("backwards day range", OFFICE.replace("days: mon-fri", "days: fri-mon"),
     [f"{FILE}:29: {T}.schedule[0].days: 'fri-mon' runs backwards; write the days from Monday on, e.g. 'sat-sun'"]),
    ("malformed time", OFFICE.replace('start: "07:00"', 'start: "7 Uhr"'),
     [f"{FILE}:29: {T}.schedule[0].start: '7 Uhr' is not a time of day 'HH:MM', e.g. '07:00'"]),
    ("time past midnight", OFFICE.replace('end: "17:00"', 'end: "24:30"'),
     [f"{FILE}:29: {T}.schedule[0].end: '24:30' is not a time of day 'HH:MM' between 00:00 and 24:00"]),
    ("end before start", OFFICE.replace('start: "07:00", end: "17:00"', 'start: "22:00", end: "06:00"'),
     [f"{FILE}:29: {T}.schedule[0].end: the period ends (06:00) before it starts (22:00); one over midnight "
      "is two entries, e.g. 22:00-24:00 and 00:00-06:00"]),
    ("overlapping days and hours", OFFICE.replace("days: [sat]", "days: [fri, sat]")
     .replace('start: "08:00", end: "12:00"', 'start: "16:30", end: "18:00"'),
     [f"{FILE}:30: {T}.schedule[1]: 16:30-18:00 overlaps {T}.schedule[0] (line 29) on fri: one limit at a time"]),
    ("limit not a number", OFFICE.replace("limit: 50}", "limit: fast}"),
     [f"{FILE}:30: {T}.schedule[1].limit: 'fast' is not a transfer limit: a number of Mbit/s, e.g. 20, "
      "or 0 for no transfer then"]),
    ("negative limit", OFFICE.replace("limit: 20}", "limit: -5}"),
     [f"{FILE}:29: {T}.schedule[0].limit: -5 is not a transfer limit: a number of Mbit/s, e.g. 20, "
      "or 0 for no transfer then"]),
    ("never any transfer", OFFICE.replace("limit: 80", "limit: 0").replace("limit: 20}", "limit: 0}")
     .replace("limit: 50}", "limit: 0}"),
     [f"{FILE}:25: {T}: no transfer is allowed at any time (every limit is 0): the seed would never run; "
      "give the periods when it may a limit above 0"]),
    ("zero bandwidth", OFFICE.replace("bandwidth: 100", "bandwidth: 0"),
     [f"{FILE}:24: {K0}.link.bandwidth: 0 is not a bandwidth: a number of Mbit/s above 0, e.g. 20"]),
    ("unknown key", OFFICE.replace("compress: false", "compression: zstd"),
     [f"{FILE}:27: {T}.compression: unknown key 'compression' (allowed: compress, limit, schedule)"]),
]


@pytest.mark.parametrize(("block", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_transfer_policy_is_refused_with_exact_message(block, expected):
    assert errors_of(with_transfer(block)) == expected


def test_periods_that_touch_do_not_overlap():
    block = OFFICE.replace("days: [sat]", "days: [fri]").replace('start: "08:00", end: "12:00"',
                                                                  'start: "17:00", end: "24:00"')
    parse_plan(with_transfer(block), FILE)


def test_link_and_schedule_reach_the_kommune_context():
    model = inventory_model(parse_plan(with_transfer(OFFICE), FILE))
    context = model.hostvars["altdorf-fs"]["umzug_kommune"]
    assert context["link"] == {"bandwidth": 100, "latency": 20}
    assert context["transfer"] == {"compress": False, "schedule": {"default": 80, "entries": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "17:00", "limit": 20},
        {"days": ["sat"], "start": "08:00", "end": "12:00", "limit": 50}]}}


def test_without_a_policy_nothing_limits_the_sync():
    context = inventory_model(parse_plan(VALID, FILE)).hostvars["altdorf-fs"]["umzug_kommune"]
    assert context["link"] is None
    assert context["transfer"] == {"compress": False, "schedule": None}


NIGHTS_ONLY = """\
        link: {bandwidth: 100}
        transfer:
          limit: 0
          schedule:
            - {days: mon-fri, start: "00:00", end: "06:00", limit: 100}
            - {days: mon-fri, start: "20:00", end: "24:00", limit: 100}
            - {days: sat-sun, start: "00:00", end: "24:00", limit: 100}
"""


def test_a_limit_of_zero_means_no_transfer_then():
    """Office hours without any transfer: 0 outside the nights and the weekend."""
    context = inventory_model(parse_plan(with_transfer(NIGHTS_ONLY), FILE)).hostvars["altdorf-fs"]["umzug_kommune"]
    assert context["transfer"]["schedule"]["default"] == 0
    parse_plan(with_transfer(OFFICE.replace("limit: 20}", "limit: 0}")), FILE)
