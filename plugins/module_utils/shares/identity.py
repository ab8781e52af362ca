# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identities as the shares modules need them on a file server.

- ``sid_translator``: old SID -> new SID from the identity mapping (the file the accounts
  payload writes, handed to a module as data), ``None`` where it cannot map.
- ``sid_judge``: whether an old SID will have a new identity once the accounts payload
  created the mapping's objects (a pre-flight's question; a dry run's mapping has no new
  SIDs yet).
- ``Winbind``: this host's answers for uid/gid <-> SID and SID -> name (wbinfo), cached.
  Samba's Unix SIDs (S-1-22-1-<uid>, S-1-22-2-<gid>) are answered without asking.

Standard library only: runs on the file servers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, RESULT_FINDINGS
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import mapping as identity_map
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

# root is root on every Linux file server: its Unix SIDs stay as they are.
ROOT_SIDS = (sid_codec.unix_sid("uid", 0), sid_codec.unix_sid("gid", 0))


def sid_translator(mapping: Mapping | None, filename: str = "mapping") -> Callable[[str], str | None]:
    """From the mapping file's data; without one, only SIDs that mean the same everywhere."""
    if not mapping:
        return lambda sid: sid if sid in ROOT_SIDS or sid_codec.is_universal(sid) else None
    translate = identity_map.map_from_data(dict(mapping), filename).translate_sid
    return lambda sid: sid if sid in ROOT_SIDS else translate(sid)


def sid_judge(mapping: Mapping | None, filename: str = "mapping") -> Callable[[str], bool]:
    """From the mapping's data (the file, or the one the accounts payload would write); without
    one, as sid_translator without one: only SIDs that mean the same everywhere."""
    if not mapping:
        translate = sid_translator(None)
        return lambda sid: translate(sid) is not None
    will_translate = identity_map.map_from_data(dict(mapping), filename).will_translate
    return lambda sid: sid in ROOT_SIDS or will_translate(sid)


def mapping_args() -> dict:
    """The argument spec of O(mapping) (module_translator, module_judge read it), documented once in the
    doc fragment kommunal.umzug.identity_mapping."""
    return dict(mapping=dict(type="dict"))


def share_args() -> dict:
    """The options that name one share, as share_sync and share_verify take them in each item of
    their O(shares) (share_sync also at the top, for a run of one share)."""
    return dict(
        share=dict(type="str", required=True),
        source_root=dict(type="path", required=True),
        target_root=dict(type="path", required=True),
    )


def shares_of(params: Mapping, spec: Mapping) -> list[dict]:
    """The shares of a run, in order: O(shares), or the one share the module's own options (the
    names of ``spec``, the spec of one item of O(shares)) name: the single-share form is the
    one-element case."""
    if params["shares"] is not None:
        return params["shares"]
    return [{name: params[name] for name in spec}]


def shares_problem(shares: list[dict], distinct: tuple[str, ...]) -> str | None:
    """One sentence for a list of shares a run cannot take (none, or two items with the same value
    of an option in ``distinct``: two passes would write one folder or state), or None."""
    if not shares:
        return "shares is empty: name at least one share"
    for option in distinct:
        values = [item[option] for item in shares]
        twice = sorted({value for value in values if values.count(value) > 1})
        if twice:
            return f"shares: each share needs its own {option}; {', '.join(twice)} is given more than once"
    return None


def end_run(module, params: Mapping, done: list, changes, seconds: float, transfer: dict) -> None:
    """Ends a run of share_sync or share_sync_smb with its outcome: one result per share in
    order (``done``: (result, findings, pass) of each share), the run's ``changes`` and every
    share's findings. The single-share form has that share's fields at the top as well. The
    run fails when any share failed, naming each; else it exits."""
    results = [result for result, _findings, _passed in done]
    outcome = dict(
        changed=any(result["changed"] for result in results), shares=results,
        complete=all(result.get("complete", False) for result in results),
        seconds=seconds, transfer=transfer,
        **{RESULT_CHANGES: changes.to_dict(),
           RESULT_FINDINGS: [f.to_dict() for _result, findings, _passed in done for f in findings]})
    if params["shares"] is None:
        outcome.update((key, value) for key, value in results[0].items() if key not in ("failed", "msg"))
    failed = [result for result in results if result["failed"]]
    if failed:
        module.fail_json(msg=failed[0]["msg"] if len(results) == 1 else
                         f"{len(failed)} of {len(results)} shares failed: " + "; ".join(r["msg"] for r in failed),
                         **outcome)
    module.exit_json(**outcome)


def server_args() -> dict:
    """The options of the doc fragment kommunal.umzug.share_source: the file server's, which all
    shares of a run have in common."""
    return dict(
        source_host=dict(type="str", required=True),
        source_user=dict(type="str", default="root"),
        key=dict(type="path", no_log=False),
        ssh_options=dict(type="list", elements="str", default=[]),
        **mapping_args(),
        kommune=dict(type="str"),
    )


def module_translator(module) -> Callable[[str], str | None]:
    """sid_translator of O(mapping), or the module fails with one sentence."""
    return _from_module(module, sid_translator)


def module_judge(module) -> Callable[[str], bool]:
    """sid_judge of O(mapping), or the module fails with one sentence."""
    return _from_module(module, sid_judge)


def _from_module(module, make: Callable[[Mapping | None], Callable]) -> Callable:
    try:
        return make(module.params["mapping"])
    except identity_map.MappingFileError as err:
        module.fail_json(msg=f"the identity mapping cannot be used: {err}")


class Winbind:
    def __init__(self, run: Callable[[list[str]], tuple[int, str]] | None = None):
        self._run = run or _run
        self._cache: dict[tuple[str, str], str | int | None] = {}

    def _ask(self, flag: str, value: str) -> str | None:
        key = (flag, value)
        if key not in self._cache:
            code, out = self._run(["wbinfo", flag, value])
            self._cache[key] = out.strip() if code == 0 and out.strip() else None
        return self._cache[key]

    def uid_sid(self, uid: int) -> str | None:
        answer = self._ask("--uid-to-sid", str(uid))
        return answer if sid_codec.is_sid(answer) else sid_codec.unix_sid("uid", uid)

    def gid_sid(self, gid: int) -> str | None:
        answer = self._ask("--gid-to-sid", str(gid))
        return answer if sid_codec.is_sid(answer) else sid_codec.unix_sid("gid", gid)

    def target_id(self, sid: str, kind: str) -> int | None:
        """New SID -> uid or gid on this host (what share_sync.run_pass calls target_id)."""
        unix = sid_codec.parse_unix(sid)
        if unix is not None and unix[0] == kind:
            return unix[1]
        answer = self._ask("--sid-to-uid" if kind == "uid" else "--sid-to-gid", sid)
        return int(answer) if answer and answer.isdigit() else None

    def name(self, sid: str) -> str | None:
        answer = self._ask("--sid-to-name", sid)
        # wbinfo appends the SID type as a number: "KOMMUNEA\hmueller 1"
        return answer.rsplit(" ", 1)[0] if answer else None


def _run(argv: list[str]) -> tuple[int, str]:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return 127, ""
    return proc.returncode, proc.stdout
