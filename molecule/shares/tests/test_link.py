"""Passes on the lab's shaped link (converge's link.yml): the link's own rate, umzug's limit
kept within 10 % on it (one pass through the delaying relay), and a limit that changes during
the pass taking effect there; the shaping in force while they ran and removed afterwards.

Two measurements each: the pass's own (its result's ``transfer`` and its progress file) and
one apart from umzug's code, the bytes a sampler found on the target every 0.2 s by the RZ
file server's clock."""

from tests.support.link import (
    MBIT,
    assert_limit_change_took_effect,
    assert_steady_limit_kept,
    record,
    samples,
    step_slope,
    within,
)


def test_the_shaped_link_itself_keeps_its_rate():
    """Without a limit of umzug's the pass runs at the link's rate: the tbf on the Kommune file
    server's egress, not anything of umzug's, holds it there (unshaped, the lab's network
    carries several hundred Mbit/s)."""
    evidence, shaping = record("link-shaped.json"), record("link-shaping.json")
    total, rate = evidence["total"], shaping["rate_mbit"] * MBIT
    result = evidence["pass"]
    assert evidence["schedule"] is None and evidence["relay"] is None
    assert result["bytes"] == total and result["counts"]["copy"] == 10
    assert all(stretch["limit_bytes_per_s"] is None for stretch in result["transfer"]), result["transfer"]
    notes = samples(evidence)
    assert notes[-1][1] == total, notes[-1]
    start = next(n for n in notes if n[1] >= total / 10)[0]
    end = next(n for n in notes if n[1] >= total * 9 / 10)[0]
    # The content, without the headers of Ethernet, IP, TCP and SSH the link also carries
    # (1448 of 1514 bytes a packet): about 95.5 % of the shaped rate.
    measured = step_slope(notes, start, end)
    assert within(measured, rate), (measured, rate)
    assert measured <= rate, (measured, rate)


def test_the_shaping_was_in_force_during_the_passes_and_is_removed():
    shaping, removed = record("link-shaping.json"), record("link-removed.json")
    first, again = shaping["shaped"]
    # Set once; the same rate again changes nothing.
    assert first["changed"] and not again["changed"]
    for shown in (again, shaping["before"], shaping["after"]):
        assert shown["container"] == "shr-a-fs" and shown["shaped"] and shown["kind"] == "tbf", shown
        assert shown["rate_bit_per_s"] == shaping["rate_mbit"] * 1_000_000, shown
    # Every byte of the three passes left the Kommune file server through the qdisc.
    moved = shaping["after"]["bytes"] - shaping["before"]["bytes"]
    assert moved >= 3 * shaping["total"], (moved, shaping["total"])
    assert not removed["link"]["shaped"] and removed["link"]["changed"], removed
    assert removed["relay"]["changed"] and not removed["relay"]["running"], removed


def test_the_relay_delays_and_carried_the_steady_pass():
    shaping = record("link-shaping.json")
    first, again = shaping["relayed"]
    assert first["changed"] and not again["changed"], (first, again)
    # The SSH version exchange's round trip: through both directions of the relay, 2 D more.
    delay, round_trip = shaping["delay_ms"] / 1000, shaping["round_trip"]
    assert round_trip["relay"] >= 2 * delay, round_trip
    assert round_trip["relay"] - round_trip["direct"] >= 1.5 * delay, round_trip
    [relay] = shaping["relays"]
    assert relay["unit"] == "umzug-lab-relay-2222.service" and relay["state"] == "active", relay
    assert f"{shaping['delay_ms']:g} ms each way" in relay["description"], relay
    # The relay's log: the steady pass's tar stream came back through it (at least the content).
    back = [int(line.split(" bytes back")[0].rsplit(" ", 1)[1]) for line in relay["log"] if "bytes back" in line]
    assert max(back, default=0) >= shaping["total"], relay["log"]
    assert str(record("link-steady.json")["relay"]) == "2222"


def test_steady_limit_is_kept():
    evidence = record("link-steady.json")
    result = evidence["pass"]
    assert result["bytes"] == evidence["total"] and result["counts"]["copy"] == 10
    # The pass counts the tar stream, the content with tar's headers (at most 1 % more).
    assert_steady_limit_kept(evidence, 16 * MBIT, step_slope)


def test_limit_change_takes_effect_during_the_pass():
    evidence = record("link-change.json")
    assert evidence["pass"]["bytes"] == evidence["total"]
    assert_limit_change_took_effect(evidence, 8 * MBIT, 32 * MBIT, step_slope)
