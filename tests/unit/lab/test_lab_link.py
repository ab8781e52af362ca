"""lab/umzug_lab.py link and relay: the tc and systemd-run commands they make, what they
leave alone, and their one-sentence errors. podman, nsenter and tc are played by a table of
answers; the lab test (molecule/shares/link.yml) runs them for real."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "lab"))
import umzug_lab  # noqa: E402  (lab/ is a folder of tools, not a package)

PID = 4711
NS = ["nsenter", "-t", str(PID), "-n"]
ROUTE = json.dumps([{"dst": "default", "gateway": "10.89.46.1", "dev": "eth0"}])
UNSHAPED = json.dumps([{"kind": "noqueue", "root": True, "options": {}, "bytes": 0, "packets": 0}])


def tbf_shown(rate_bit, burst=65532, lat=None, sent=1000):
    rate = rate_bit // 8
    limit = max(round(rate * 0.05), 384 * 1024)
    lat = round((limit - 65536) / rate * 1e6) if lat is None else lat
    return json.dumps([{"kind": "tbf", "root": True, "options": {"rate": rate, "burst": burst, "lat": lat},
                        "bytes": sent, "packets": 10, "drops": 0, "overlimits": 3, "backlog": 0}])


class Host:
    """Answers to commands by their start; records every command."""

    def __init__(self, answers):
        self.answers, self.commands = answers, []

    def __call__(self, cmd, *, check=True, **_kw):
        self.commands.append(cmd)
        for start, answer in self.answers:
            if cmd[:len(start)] == start:
                rc, out = answer(cmd) if callable(answer) else answer
                break
        else:
            rc, out = 0, ""
        if check and rc:
            raise umzug_lab.LabError(f"{cmd} failed")
        return subprocess.CompletedProcess(cmd, rc, out, "tc: some failure\n" if rc else "")


@pytest.fixture
def host(monkeypatch):
    def make(qdiscs, pid=PID, tc_rc=0):
        shown = iter(qdiscs)
        fake = Host([
            (["podman", "inspect", "-f", "{{.State.Pid}}"], (0, f"{pid}\n") if pid is not None else (125, "")),
            ([*NS, "ip", "-j", "route", "show", "default"], (0, ROUTE)),
            ([*NS, "tc", "-s", "-j", "qdisc", "show"], lambda cmd: (0, next(shown))),
            ([*NS, "tc", "qdisc"], (tc_rc, "")),
        ])
        monkeypatch.setattr(umzug_lab, "run", fake)
        monkeypatch.setattr(umzug_lab.shutil, "which", lambda command: f"/usr/sbin/{command}")
        return fake
    return make


def changes(fake):
    return [cmd[len(NS):] for cmd in fake.commands if cmd[:len(NS)] == NS and cmd[len(NS) + 1] == "qdisc"]


@pytest.mark.parametrize(
    ("mbit", "rate", "limit"),
    [
        # The queue: 50 ms of the rate, at least 384 KiB (a local TCP sender overflows less).
        (8, "8000000bit", 393216),
        (48, "48000000bit", 393216),
        (100, "100000000bit", 625000),
        (250, "250000000bit", 1562500),
        (16.5, "16500000bit", 393216),
    ],
)
def test_a_rate_is_a_tbf_on_the_egress_in_the_containers_namespace(host, mbit, rate, limit):
    fake = host([UNSHAPED, tbf_shown(round(mbit * 1e6))])
    report = umzug_lab.link("shr-a-fs", mbit)
    assert changes(fake) == [["tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", rate,
                              "burst", "65536", "limit", str(limit)]]
    assert fake.commands[0] == ["podman", "inspect", "-f", "{{.State.Pid}}", "shr-a-fs"]
    assert report["changed"] and report["shaped"] and report["device"] == "eth0"
    assert report["rate_bit_per_s"] == round(mbit * 1e6)


def test_the_same_rate_again_changes_nothing(host):
    fake = host([tbf_shown(48_000_000)])
    report = umzug_lab.link("shr-a-fs", 48)
    assert changes(fake) == []
    assert not report["changed"] and report["shaped"] and report["bytes"] == 1000


@pytest.mark.parametrize(
    "shown",
    [
        tbf_shown(32_000_000),  # another rate
        tbf_shown(48_000_000, burst=16384),  # another burst
        tbf_shown(48_000_000, lat=200_000),  # another queue
        json.dumps([{"kind": "htb", "root": True, "options": {}}]),  # another qdisc
    ],
)
def test_another_shaping_is_replaced(host, shown):
    fake = host([shown, tbf_shown(48_000_000)])
    assert umzug_lab.link("shr-a-fs", 48)["changed"]
    assert [cmd[:6] for cmd in changes(fake)] == [["tc", "qdisc", "replace", "dev", "eth0", "root"]]


def test_off_removes_a_tbf_and_leaves_an_unshaped_link_alone(host):
    fake = host([tbf_shown(48_000_000), UNSHAPED])
    report = umzug_lab.link("shr-a-fs", off=True)
    assert changes(fake) == [["tc", "qdisc", "del", "dev", "eth0", "root"]]
    assert report["changed"] and not report["shaped"] and report["rate_bit_per_s"] is None
    fake = host([UNSHAPED])
    assert not umzug_lab.link("shr-a-fs", off=True)["changed"]
    assert changes(fake) == []


def test_show_reports_the_counters_and_changes_nothing(host):
    fake = host([tbf_shown(100_000_000, sent=123456789)])
    report = umzug_lab.link("shr-a-fs")
    assert changes(fake) == []
    assert (report["bytes"], report["packets"], report["overlimits"]) == (123456789, 10, 3)
    assert umzug_lab.link_line(report) == (
        "shr-a-fs eth0 egress: tbf 100 Mbit/s, burst 65532 B, queue 44.8 ms (in force); "
        "123456789 bytes in 10 packets, 0 dropped")


def test_an_interface_can_be_named(host):
    fake = host([UNSHAPED, tbf_shown(8_000_000)])
    umzug_lab.link("shr-a-fs", 8, dev="eth1")
    assert changes(fake)[0][3:5] == ["dev", "eth1"]
    assert not any("route" in cmd for cmd in fake.commands)


@pytest.mark.parametrize(
    ("pid", "message"),
    [(None, "there is no container shr-a-fs."), (0, "container shr-a-fs does not run.")],
)
def test_a_container_that_does_not_run_is_one_sentence(host, pid, message):
    fake = host([], pid=pid)
    with pytest.raises(umzug_lab.LabError) as err:
        umzug_lab.link("shr-a-fs", 48)
    assert str(err.value) == message
    assert changes(fake) == []


def test_a_failing_tc_is_one_sentence(host):
    host([UNSHAPED], tc_rc=2)
    with pytest.raises(umzug_lab.LabError) as err:
        umzug_lab.link("shr-a-fs", 48)
    assert str(err.value) == "tc on eth0 of shr-a-fs failed: tc: some failure"


def test_a_missing_tc_is_one_sentence(host, monkeypatch):
    host([UNSHAPED])
    monkeypatch.setattr(umzug_lab.shutil, "which", lambda command: None if command == "tc" else command)
    with pytest.raises(umzug_lab.LabError) as err:
        umzug_lab.link("shr-a-fs", 48)
    assert str(err.value) == "tc is not installed: install the Debian package iproute2."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["link"], "link takes one argument, the container's name."),
        (["link", "a", "b", "--rate", "8"], "link takes one argument, the container's name."),
        (["link", "a", "--rate", "8", "--off"], "link takes --rate or --off, not both."),
        (["link", "a", "--rate", "0"], "--rate 0 is not between 0.1 and 10000 Mbit/s."),
        (["link", "a", "--rate", "8", "--delay", "10"], "link takes no --delay."),
        (["relay", "a", "--rate", "8"], "relay takes no --rate."),
        (["relay", "a", "--listen", "2222"], "relay --listen needs --to HOST:PORT and --delay MS (or --off)."),
        (["relay", "a", "--off"], "relay --off needs --listen, the port of the relay to stop."),
        (["relay", "a", "--listen", "2222", "--off", "--delay", "3"],
         "relay --off takes only --listen (the port of the relay to stop)."),
        (["relay", "a", "--to", "fs:22"], "relay --to and --delay need --listen [ADDRESS:]PORT."),
        (["relay", "a", "--listen", "2222", "--to", "fs:22", "--delay", "-5"],
         "--delay -5 is not between 0 and 10000 ms."),
        (["relay", "a", "--listen", "2222", "--to", "fs", "--delay", "5"], "'fs' is not HOST:PORT."),
        (["relay", "a", "--listen", "x:y", "--to", "fs:22", "--delay", "5"], "'x:y' is not [ADDRESS:]PORT."),
    ],
)
def test_wrong_arguments_are_one_sentence(host, monkeypatch, capsys, argv, message):
    host([UNSHAPED, UNSHAPED])
    monkeypatch.setattr(umzug_lab, "check_prerequisites", lambda: None)
    monkeypatch.setattr(umzug_lab, "relay_on", lambda *a: pytest.fail("nothing may start"))
    assert umzug_lab.main(argv) == 2
    assert capsys.readouterr().err == f"umzug lab: {message}\n"


def test_link_prints_one_json_object(host, monkeypatch, capsys):
    host([UNSHAPED, tbf_shown(48_000_000)])
    monkeypatch.setattr(umzug_lab, "check_prerequisites", lambda: None)
    assert umzug_lab.main(["link", "shr-a-fs", "--rate", "48", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["changed"], report["rate_bit_per_s"], report["device"]) == (True, 48_000_000, "eth0")


# --- relay -------------------------------------------------------------------------------

SCRIPT = b"print('relay')\n"
RELAY = umzug_lab.Relay(("127.0.0.1", 2222), ("10.89.46.12", 22), 10)


def relay_host(monkeypatch, state):
    fake = Host([
        (["podman", "inspect", "-f", "{{.State.Pid}}"], (0, f"{PID}\n")),
        (["podman", "exec", "shr-rz-fs", "systemctl", "show"], (0, state)),
    ])
    monkeypatch.setattr(umzug_lab, "run", fake)
    return fake


def test_a_relay_is_copied_in_and_started_as_a_transient_unit(monkeypatch):
    fake = relay_host(monkeypatch, "ActiveState=inactive\nDescription=umzug-lab-relay-2222.service\n")
    report = umzug_lab.relay_on("shr-rz-fs", RELAY, SCRIPT)
    assert report["changed"] and report["unit"] == "umzug-lab-relay-2222"
    assert ["podman", "cp", str(umzug_lab.RELAY_SCRIPT), "shr-rz-fs:/usr/local/lib/umzug-lab/delay_relay.py"] \
        in fake.commands
    started = fake.commands[-1]
    assert started == [
        "podman", "exec", "shr-rz-fs", "systemd-run", "--unit=umzug-lab-relay-2222",
        f"--description={RELAY.description(SCRIPT)}", "--property=Type=notify", "--collect", "--quiet",
        "python3", "/usr/local/lib/umzug-lab/delay_relay.py", "--listen", "127.0.0.1:2222",
        "--to", "10.89.46.12:22", "--delay", "10"]
    assert "10 ms each way" in RELAY.description(SCRIPT)


def test_the_same_relay_again_changes_nothing(monkeypatch):
    fake = relay_host(monkeypatch, f"ActiveState=active\nDescription={RELAY.description(SCRIPT)}\n")
    assert not umzug_lab.relay_on("shr-rz-fs", RELAY, SCRIPT)["changed"]
    assert not any("systemd-run" in cmd or "stop" in cmd for cmd in fake.commands)


@pytest.mark.parametrize(
    "running",
    [umzug_lab.Relay(("127.0.0.1", 2222), ("10.89.46.12", 22), 20).description(SCRIPT),  # another delay
     RELAY.description(b"an older script\n")],
)
def test_another_relay_on_the_port_is_replaced(monkeypatch, running):
    fake = relay_host(monkeypatch, f"ActiveState=active\nDescription={running}\n")
    assert umzug_lab.relay_on("shr-rz-fs", RELAY, SCRIPT)["changed"]
    stop = fake.commands.index(["podman", "exec", "shr-rz-fs", "systemctl", "stop", "umzug-lab-relay-2222"])
    assert stop < next(i for i, cmd in enumerate(fake.commands) if "systemd-run" in cmd)


def test_off_stops_a_running_relay_and_nothing_else(monkeypatch):
    fake = relay_host(monkeypatch, f"ActiveState=active\nDescription={RELAY.description(SCRIPT)}\n")
    assert umzug_lab.relay_off("shr-rz-fs", 2222) == {
        "container": "shr-rz-fs", "unit": "umzug-lab-relay-2222", "running": False, "changed": True}
    assert ["podman", "exec", "shr-rz-fs", "systemctl", "stop", "umzug-lab-relay-2222"] in fake.commands
    fake = relay_host(monkeypatch, "ActiveState=inactive\n")
    assert not umzug_lab.relay_off("shr-rz-fs", 2222)["changed"]
    assert not any("stop" in cmd for cmd in fake.commands)
