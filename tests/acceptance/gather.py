"""The acceptance suite's reads of the hosts, in batches and in parallel.

Each test checks one thing on its own (one share, one account, one group, one workstation),
so that one failure does not hide the next; the data it checks is read here, before it runs,
in few round trips: one command per host and kind of read (every share's tree in one, every
account's entry in one, every test user's SMB log-ons in one), run over the run's one SSH
session per host (sessions.py), the reads of different hosts at the same time.

A read that fails does not stop the others: its error is kept and raised by each test that
needs it (and only by those). The reads are the same commands a test would run by itself;
only when and how many at once changes.
"""

from __future__ import annotations

import base64
import shlex
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from tests.acceptance import smb
from tests.acceptance.remote import Result, command, parse_ldif, run_batch

SAM = "/var/lib/samba/private/sam.ldb"
# Everyone, Authenticated Users, BUILTIN\\Users: in every domain user's token.
WELL_KNOWN_TOKEN = {"S-1-1-0", "S-1-5-11", "S-1-5-32-545"}
# type, size and path of every entry below the share root; the mtime is checked by the
# shares payload's own verify (manifests), not here. Sent as base64: the output need not be
# UTF-8 (a name in bauamt is latin-1).
TREE = "find {root} -mindepth 1 -printf '%y %s %P\\n' | LC_ALL=C sort | base64 -w0"
# The reads each part of the suite needs (conftest.PARTS), started when the run begins.
READS = {
    "shares": ("source_trees", "target_trees", "source_acls", "central_users", "tokens", "rz_access"),
    "accounts": ("central_users", "old_groups", "new_groups", "logons"),
    "clients": ("client_discovery", "client_probes"),
    "names": ("resolved", "rz_listings"),
}
# Windows reads are playbook runs on the controller: this many at once.
WINDOWS_READS_AT_ONCE = 4


def ldbsearch(base: str, filt: str, *attrs: str, scope: str = "base") -> str:
    return command("ldbsearch", "-H", SAM, "-s", scope, "-b", base, filt, *attrs)


def entries(result: Result) -> list[dict]:
    """The LDIF entries of an ldbsearch; its failure is the test's."""
    assert result.rc == 0, result.stderr.strip()
    return parse_ldif(result.stdout)


def tree_lines(result: Result, root: str) -> list[str]:
    assert result.rc == 0, f"cannot read {root}: {result.stderr.strip()}"
    # Names need not be UTF-8 (the shares payload reports those); compare them as bytes.
    return base64.b64decode(result.stdout_bytes).decode("utf-8", "surrogateescape").splitlines()


def value(found):
    """A kept read: its value, or its error raised again."""
    if isinstance(found, BaseException):
        raise found
    return found


def each(items, read, workers: int) -> dict:
    """{item: read(item) or the error it raised}, ``workers`` at once."""
    def guarded(item):
        try:
            return read(item)
        except Exception as err:  # kept for the test that checks this item
            return err
    items = list(items)
    if not items:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return dict(zip(items, pool.map(guarded, items), strict=True))


@dataclass(frozen=True)
class OldGroup:
    """An old group's member SIDs, None when the group is not there; or why it was not read."""

    sids: set[str] | None = None
    error: str | None = None


class Gathered:
    """The reads of one run, each started once (``start``, or on first ``get``) and run in a
    thread of its own; ``get`` waits for one and returns it, or raises its error."""

    def __init__(self, kommune):
        self.kommune = kommune
        self._lock = threading.Lock()
        self._futures: dict[str, Future] = {}
        # More threads than reads: a read waiting for another never starves it.
        self._pool = ThreadPoolExecutor(max_workers=2 * sum(len(reads) for reads in READS.values()),
                                        thread_name_prefix="acceptance-read")

    def start(self, parts) -> None:
        for part in parts:
            for name in READS[part]:
                self._future(name)

    def get(self, name: str):
        return self._future(name).result()

    def _future(self, name: str) -> Future:
        with self._lock:
            if name not in self._futures:
                self._futures[name] = self._pool.submit(getattr(self, f"_read_{name}"))
            return self._futures[name]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # --- shares ------------------------------------------------------------------------

    def _read_source_trees(self) -> dict:
        """share -> Result of the tree command (Samba), or (lines, held) over SMB (windows)."""
        k = self.kommune
        shares = sorted(k.source_shares)
        if k.windows:
            return each(shares, k.windows.tree, 1)
        results = run_batch(k.host(k.one("fs")), [TREE.format(root=shlex.quote(k.source_shares[s])) for s in shares])
        return dict(zip(shares, results, strict=True))

    def _read_target_trees(self) -> dict:
        """target share -> Result of the tree command on the RZ file server."""
        k = self.kommune
        targets = sorted({k.target_share(s) for s in k.source_shares} & set(k.target_shares))
        results = run_batch(k.host(k.rz_fs), [TREE.format(root=shlex.quote(k.target_shares[t])) for t in targets])
        return dict(zip(targets, results, strict=True))

    def _read_source_acls(self) -> dict:
        """share -> the Windows ACL of its root on the Kommune's file server (security.NTACL;
        a windows Kommune's as the backup account reads it over SMB), None without one."""
        k = self.kommune
        shares = sorted(k.source_shares)
        if k.windows:
            return {share: k.windows.root_sd(share) for share in shares}
        results = run_batch(k.host(k.one("fs")), [
            command("getfattr", "--absolute-names", "--only-values", "-n", "security.NTACL", k.source_shares[s])
            + " | base64 -w0" for s in shares])
        return {share: ntacl.sd_from_ntacl(base64.b64decode(r.stdout.strip())) if r.stdout.strip() else None
                for share, r in zip(shares, results, strict=True)}

    def _read_tokens(self) -> dict:
        """old name -> the SIDs the test user's log-on carried at home: its own, its groups
        (nested, from the Kommune's DC) and the well-known ones every authenticated user has."""
        k = self.kommune
        users = k.sample_users()
        if k.windows:
            found = each([u["old_sid"] for u in users], k.windows.token, WINDOWS_READS_AT_ONCE)
            return {u["old_name"]: value(found[u["old_sid"]]) | WELL_KNOWN_TOKEN for u in users}
        results = run_batch(k.host(k.one("dc")), [
            ldbsearch(f"<SID={u['old_sid']}>", "(objectClass=*)", "tokenGroups", "objectSid") for u in users])
        tokens = {}
        for user, result in zip(users, results, strict=True):
            sids = {line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                    if line.startswith(("tokenGroups:", "objectSid:"))}
            tokens[user["old_name"]] = sids | WELL_KNOWN_TOKEN
        return tokens

    def _read_rz_access(self) -> dict:
        """old name -> {share: whether the test user, with the new account, lists the target
        share's root on the RZ file server} (a real log-on)."""
        k = self.kommune
        users = k.sample_users()
        shares = sorted(k.source_shares)
        found = smb.can_list_each(k.host(k.workstation), k.rz_fs,
                                  [(k.rz_account(u), k.passwords[u["old_name"]]) for u in users],
                                  [k.target_share(s) for s in shares])
        return {u["old_name"]: {s: allowed[k.target_share(s)] for s in shares}
                for u, allowed in zip(users, found, strict=True)}

    # --- accounts ----------------------------------------------------------------------

    def _read_central_users(self) -> dict:
        """new DN -> Result of the base search for each active user in the central directory."""
        k = self.kommune
        dns = sorted({u["new_dn"] for u in k.active("users")})
        results = run_batch(k.host(k.one("dc", rz=True)), [
            ldbsearch(dn, "(objectClass=user)", "objectSid", "sAMAccountName", "userAccountControl") for dn in dns])
        return dict(zip(dns, results, strict=True))

    def enabled_in_rz(self, user: dict) -> bool:
        result = self.get("central_users")[user["new_dn"]]
        values = [line.split(":", 1)[1] for line in result.stdout.splitlines()
                  if line.startswith("userAccountControl:")]
        return bool(values) and not int(values[0]) & 0x2

    def _read_logons(self) -> dict:
        """old name -> whether the test user logs on to the RZ file server with the old
        password; only those enabled in the central directory try."""
        k = self.kommune
        users = [u for u in k.sample_users() if self.enabled_in_rz(u)]
        found = smb.logs_on_each(k.host(k.workstation), k.rz_fs,
                                 [(k.rz_account(u), k.passwords[u["old_name"]]) for u in users])
        return {u["old_name"]: ok for u, ok in zip(users, found, strict=True)}

    def _read_old_groups(self) -> dict:
        """old group SID -> OldGroup: the SIDs of its members on the Kommune's DC (a windows
        Kommune's over LDAPS)."""
        k = self.kommune
        sids = [g["old_sid"] for g in k.active("groups")]
        if k.windows:
            found = each(sids, k.windows.member_sids, WINDOWS_READS_AT_ONCE)
            return {sid: OldGroup(error=str(got)) if isinstance(got, BaseException) else OldGroup(sids=got)
                    for sid, got in found.items()}
        host = k.host(k.one("dc"))
        searched = run_batch(host, [ldbsearch(f"<SID={sid}>", "(objectClass=group)", "member") for sid in sids])
        groups = dict(zip(sids, searched, strict=True))
        members, errors = {}, {}
        for sid, result in groups.items():
            if result.rc != 0:
                errors[sid] = result.stderr.strip()
                continue
            found = parse_ldif(result.stdout)
            members[sid] = found[0].get("member", []) if found else None
        dns = sorted({dn for listed in members.values() if listed for dn in listed})
        searched = run_batch(host, [ldbsearch(dn, "(objectClass=*)", "objectSid") for dn in dns])
        by_dn = dict(zip(dns, searched, strict=True))
        result = {sid: OldGroup(error=message) for sid, message in errors.items()}
        for sid, listed in members.items():
            if listed is None:
                result[sid] = OldGroup()
                continue
            failed = [by_dn[dn].stderr.strip() for dn in listed if by_dn[dn].rc != 0]
            if failed:
                result[sid] = OldGroup(error=failed[0])
                continue
            found = [parse_ldif(by_dn[dn].stdout) for dn in listed]
            result[sid] = OldGroup(sids={entry[0]["objectSid"][0] for entry in found if entry})
        return result

    def _read_new_groups(self) -> dict:
        """new DN -> Result of the base search for each mapped group in the central directory."""
        k = self.kommune
        dns = sorted({g["new_dn"] for g in k.active("groups")})
        results = run_batch(k.host(k.one("dc", rz=True)),
                            [ldbsearch(dn, "(objectClass=group)", "member") for dn in dns])
        return dict(zip(dns, results, strict=True))

    # --- clients -----------------------------------------------------------------------

    def _client_hosts(self) -> list[str]:
        return [h for h in self.kommune.group("clients") if h in self.kommune.members]

    def _read_client_discovery(self) -> dict:
        """workstation -> client_discover's result (or its error), all workstations at once."""
        from tests.acceptance.clients import discover  # the part's own module
        return each(self._client_hosts(), lambda host: discover(self.kommune, host), 8)

    def _read_client_probes(self) -> dict:
        """workstation -> {client id: client_probe's result (or its error)} for each client
        discovery found there, all at once."""
        from tests.acceptance.clients import probe
        discovered = self.get("client_discovery")
        pairs = [(host, client["id"]) for host, found in discovered.items() if not isinstance(found, BaseException)
                 for client in found["clients"]]
        found = each(pairs, lambda pair: probe(self.kommune, *pair), 8)
        result = {host: {} for host in discovered}
        for (host, client_id), got in found.items():
            result[host][client_id] = got
        return result

    # --- names -------------------------------------------------------------------------

    def _read_resolved(self) -> dict:
        """name -> the IPv4 addresses it resolves to as a PC resolves it (Kommune.resolver),
        for each old file server name and its FQDN."""
        k = self.kommune
        forms = [form for name in k.switched() for form in (name, f"{name}.{k.domain['dns_domain']}")]
        results = run_batch(k.host(k.resolver), [command("getent", "ahostsv4", form) for form in forms])
        return {form: sorted({line.split()[0] for line in r.stdout.splitlines()}) if r.rc == 0 else []
                for form, r in zip(forms, results, strict=True)}

    def _read_rz_listings(self) -> dict:
        """(old name, old share) -> (old name of the test user, names the migrated share
        shows directly, names the old UNC path shows) for the first test user who may open
        the migrated share; (None, None, None) when none may. One round trip per test user
        tried (only for the shares still without one), one for the old paths."""
        k = self.kommune
        host = k.host(k.workstation)
        pending = [(name, old, new) for name, shares in k.switched().items() for old, new in sorted(shares.items())]
        opened = {}
        for user in k.sample_users():
            if not pending:
                break
            seen = smb.listings(host, [(k.passwords[user["old_name"]], k.rz_fs, k.rz_account(user), new)
                                       for _name, _old, new in pending])
            for (name, old, _new), names in zip(pending, seen, strict=True):
                if names is not None:
                    opened[(name, old)] = (user, names)
            pending = [pair for pair in pending if (pair[0], pair[1]) not in opened]
        keys = sorted(opened)
        via_old = smb.listings(host, [(k.passwords[opened[key][0]["old_name"]], f"{key[0]}.{k.domain['dns_domain']}",
                                       k.rz_account(opened[key][0]), key[1]) for key in keys])
        result = {(name, old): (None, None, None) for name, old, _new in pending}
        for key, names in zip(keys, via_old, strict=True):
            user, direct = opened[key]
            result[key] = (user["old_name"], direct, names)
        return result
