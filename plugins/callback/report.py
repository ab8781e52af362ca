# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: report
type: aggregate
short_description: Writes the umzug dry-run and run report (report.json, report.html)
version_added: 0.1.0
description:
  - Collects the findings (C(umzug_findings)), changes (C(umzug_changes)) and estimates (C(umzug_estimate))
    that umzug modules return,
    assigns them to Kommunen (by the finding's C(kommune), else the host's C(umzug_kommune.id)),
    applies the waiver file and decides a verdict per Kommune - GO, GO with accepted risks, NO-GO.
  - Renders one model once, at the end of the run, as C(report.json) (checked against
    C(schemas/report.schema.json)), C(report.html) (one self-contained page per run, all Kommunen of the
    wave on it) and a short summary on the terminal.
  - Check-mode runs get a DRY-RUN banner; each Kommune lists what changed since its previous complete dry run.
  - A run interrupted by SIGINT or SIGTERM, or with an unreachable or failed host, is marked incomplete and
    every Kommune in it is NO-GO. On a signal the report is written before Ansible stops.
  - Secrets never enter the report, see the notes.
  - Writes C(<report_dir>/<run id>/report.{json,html}), points C(<report_dir>/latest) and, for dry runs,
    C(<report_dir>/latest-dry-run) at it, and keeps the comparison baseline in C(<report_dir>/state/).
author:
  - umzug developers (@kommunal)
requirements:
  - Enable it with C(callbacks_enabled = kommunal.umzug.report) in C(ansible.cfg)
    or C(ANSIBLE_CALLBACKS_ENABLED).
  - Jinja2, jsonschema and PyYAML on the controller.
options:
  report_dir:
    description: Directory the reports are written to; created if missing.
    type: path
    default: artifacts/reports
    env:
      - name: UMZUG_REPORT_DIR
    ini:
      - section: callback_umzug_report
        key: report_dir
  language:
    description: Language of report.html (its findings' texts too, from the finding catalog) and the terminal
      summary; report.json keeps the English texts and each finding's parameters.
    type: str
    default: de
    choices: [de, en]
    env:
      - name: UMZUG_REPORT_LANGUAGE
    ini:
      - section: callback_umzug_report
        key: language
  waiver_file:
    description:
      - YAML file with a list C(waivers), each with C(key), C(owner), C(reason), C(expires) (YYYY-MM-DD) and
        optionally C(kommune) and C(resource). A matching active waiver turns an inhibitor into an accepted
        risk; an expired one that still matches becomes a finding C(report.waiver_expired).
      - A waiver file that cannot be read is an inhibitor for the whole run.
    type: path
    env:
      - name: UMZUG_WAIVER_FILE
    ini:
      - section: callback_umzug_report
        key: waiver_file
notes:
  - Results of C(no_log) tasks are never read, only counted. Values of vaulted variables and of variables
    named like secrets (password, secret, token, hash ...) are replaced by C(********) wherever they appear,
    and text that looks like a credential (C(password=...), crypt, LDAP and NT hashes, vault blobs) is masked.
  - Extra vars and the environment are not recorded.
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = kommunal.umzug.report
# [callback_umzug_report]
# report_dir = artifacts/reports
# language = de
# waiver_file = inventories/waivers.yml

# inventories/waivers.yml
waivers:
  - key: shares.path_too_long
    kommune: kommune-a
    resource: '\\kommune-a-fs\daten\Bauamt'
    owner: Erika Muster (RZ)
    reason: Pfade werden nach dem Umzug gekürzt, Ticket 4711
    expires: 2025-04-30

# ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.report ansible-playbook --check playbooks/dry-run.yml
"""

RETURN = r""" # """

import os
import signal
from datetime import UTC, datetime

from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Finding,
    FindingError,
    Reason,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    ReportBuilder,
    WaiverError,
    read_waiver_file,
    today_in_berlin,
    waiver_file_finding,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import Scrubber, collect_secrets
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import (
    ReportSettings,
    ReportStore,
    cyclic_gc_paused,
    run_id,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.estimate import RESULT_ESTIMATE

try:
    from ansible.parsing.vault import VaultHelper

    def _is_vaulted(value):
        return VaultHelper.get_ciphertext(value, with_tags=False) is not None
except ImportError:  # ansible-core < 2.19
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode

    def _is_vaulted(value):
        return isinstance(value, AnsibleVaultEncryptedUnicode)


HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kommunal.umzug.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._builder = None
        self._store = None
        self._scrubber = Scrubber()
        self._hosts = {}
        self._previous_handlers = {}
        self._pid = os.getpid()
        self._written = None

    # --- run lifecycle -------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        if self._builder is None:
            self._start()
        self._builder.run["playbooks"].append(os.path.relpath(playbook._file_name))

    def _start(self):
        started = datetime.now(UTC)
        settings = ReportSettings.of(self)
        args = context.CLIARGS
        run = {
            "id": run_id(started, os.getpid()),
            "started": started.isoformat(timespec="seconds"),
            "check_mode": bool(args.get("check")),
            "playbooks": [],
            "limit": args.get("subset") or None,
            "tags": sorted(set(args.get("tags") or ()) - {"all"}),
            "skip_tags": sorted(args.get("skip_tags") or ()),
            "ansible_version": ansible_version,
            "language": settings.language,
            "plan_hashes": [],
        }
        waivers, problem = self._load_waivers(settings.waiver_file)
        self._builder = ReportBuilder(run, waivers, today_in_berlin())
        self._store = ReportStore(settings.report_dir)
        if problem:
            self._builder.add_finding(problem, None, None, None)
        for signum in HANDLED_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _load_waivers(self, path):
        if not path:
            return [], None
        try:
            return read_waiver_file(path), None
        except WaiverError as err:
            self._display.warning(f"kommunal.umzug.report: waiver file {path} not used: {err}")
            return [], waiver_file_finding(path, err)

    def v2_playbook_on_play_start(self, play):
        if play.check_mode:
            self._builder.run["check_mode"] = True
        manager = play._variable_manager
        for host in manager._inventory.get_hosts(play.hosts):
            if host.name not in self._hosts:
                self._learn_host(manager, play, host)

    def _learn_host(self, manager, play, host):
        variables = manager.get_vars(play=play, host=host, include_hostvars=False)
        kommune = variables.get("umzug_kommune") or {}
        ident = kommune.get("id") if isinstance(kommune, dict) else None
        self._hosts[host.name] = ident
        if ident:
            self._builder.kommune(
                ident,
                name=str(kommune.get("name", "")),
                ags=str(kommune.get("ags", "")),
                wave=kommune.get("wave", variables.get("umzug_wave")),
                window=kommune.get("window") if isinstance(kommune.get("window"), dict) else None,
            )
        self._builder.add_host(host.name, ident)
        plan_hash = variables.get("umzug_plan_hash")
        if plan_hash and plan_hash not in self._builder.run["plan_hashes"]:
            self._builder.run["plan_hashes"].append(str(plan_hash))
        for secret in collect_secrets(dict(variables), _is_vaulted):
            self._scrubber.add_secret(secret)

    # --- task results --------------------------------------------------------------------------

    def v2_runner_on_ok(self, result):
        self._collect(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._collect(result)
        if not ignore_errors:
            self._builder.mark_incomplete(
                "failed", self._scrubber.text(result._task.get_name()), result._host.name
            )

    def v2_runner_on_unreachable(self, result):
        self._builder.mark_incomplete(
            "unreachable", self._scrubber.text(result._task.get_name()), result._host.name
        )

    def _collect(self, result):
        if self._builder is None:
            return
        host, task = result._host.name, self._scrubber.text(result._task.get_name())
        if result._task.no_log or result._result.get("_ansible_no_log"):
            self._builder.withheld += 1
            return
        for data in [result._result, *(r for r in result._result.get("results", ()) if isinstance(r, dict))]:
            if data.get("_ansible_no_log"):
                self._builder.withheld += 1
                continue
            self._take(data, host, task)

    def _take(self, data, host, task):
        kommune = self._hosts.get(host)
        for finding in data.get(RESULT_FINDINGS) or ():
            try:
                self._builder.add_finding(self._scrubber.data(finding), host, kommune, task)
            except (FindingError, TypeError, AttributeError) as err:
                # The why as data (a code the catalog words in the report's language); Python's
                # own message where the record was not even a mapping.
                reason = getattr(err, "reason", None)
                if not isinstance(reason, Reason):
                    reason = Reason("finding_unreadable", error=str(err))
                self._builder.add_finding(
                    Finding.of("report.invalid_finding", error=self._scrubber.data(reason.data()), host=host,
                               kommune=kommune).to_dict(),
                    host,
                    kommune,
                    task,
                )
        changes = data.get(RESULT_CHANGES)
        if isinstance(changes, dict) and changes.get("payload"):
            self._builder.add_changes(self._scrubber.data(changes), host, kommune, task)
        estimate = data.get(RESULT_ESTIMATE)
        if isinstance(estimate, dict):
            self._builder.set_estimate(self._scrubber.data(estimate), kommune)

    # --- the end -------------------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats):
        if self._builder is None:
            return
        for host in stats.processed:
            if stats.summarize(host)["unreachable"]:
                self._builder.mark_incomplete("unreachable", "host unreachable", host)
        self._write()
        self._restore_signals()
        self._display.banner(f"UMZUG REPORT {self._written}")
        for line in self._store.summary_lines(self._report, self.get_option("language")):
            self._display.display(line)

    def _write(self):
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        with cyclic_gc_paused():
            self._report = self._builder.build(self._store.previous(), finished)
            self._written = self._store.write(self._report, self.get_option("language"))

    def _on_signal(self, signum, frame):
        # Forked workers inherit this handler; only the controller process writes the report.
        if os.getpid() == self._pid and self._builder is not None:
            self._builder.mark_incomplete("signal", signal.Signals(signum).name)
            try:
                self._write()
            except Exception as err:  # the signal must still stop the run
                self._display.warning(f"kommunal.umzug.report: report not written: {err}")
        previous = self._previous_handlers.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def _restore_signals(self):
        for signum, previous in self._previous_handlers.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, previous)
        self._previous_handlers = {}
