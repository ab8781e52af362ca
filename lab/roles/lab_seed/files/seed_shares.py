"""Lab only: fill a member file server's shares the way people would have.

Each share root gets its Windows ACL (smbcacls, as the domain Administrator); each file
is then created over SMB as its owner, so Samba itself writes the owner, the inherited
ACL (security.NTACL) and the DOS attributes, exactly as on a Kommune's server. Home
folders get an ACL for their user only. Idempotent: what exists is left alone.

Reads a JSON spec (one Kommune's shares, users and passwords) on stdin and prints a JSON
list of what it created.
"""

import grp
import json
import os
import pwd
import socket
import subprocess
import sys
import tempfile

WELL_KNOWN = {"Everyone": "S-1-1-0", "CREATOR OWNER": "S-1-3-0", "Authenticated Users": "S-1-5-11"}
INHERIT = "OI|CI"


def principal(spec, name):
    return WELL_KNOWN.get(name, f"{spec['workgroup']}\\{name}")


def ace(spec, name, access, flags=INHERIT):
    return f"ACL:{principal(spec, name)}:ALLOWED/{flags}/{access}"


def run(args, secret_env=None):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, env={**os.environ, **(secret_env or {})})
    if proc.returncode != 0:
        # The command line carries no password (it goes through the environment).
        raise SystemExit(f"{' '.join(args[:3])} failed: {(proc.stdout + proc.stderr).strip()}")
    return proc.stdout


def smb_auth(spec, account):
    """smbclient/smbcacls read the password from $PASSWD, keeping it off the command line."""
    return ["-U", f"{spec['workgroup']}\\{account}"], {"PASSWD": spec["passwords"][account]}


def set_acl(spec, share, path, aces, owner="Administrator"):
    auth, env = smb_auth(spec, "Administrator")
    acl = ",".join([f"OWNER:{principal(spec, owner)}", f"GROUP:{principal(spec, 'Domain Admins')}", *aces])
    run(["smbcacls", unc(share), path, *auth, "--set", acl], env)


def unc(share):
    # By name, as a PC connects: Kerberos and NTLM both need the server's name, not an IP.
    return f"//{socket.gethostname()}/{share['name']}"


def has_ntacl(path):
    try:
        os.getxattr(path, "security.NTACL")
        return True
    except OSError:
        return False


def smbclient(spec, share, account, commands):
    auth, env = smb_auth(spec, account)
    run(["smbclient", unc(share), *auth, "-c", "; ".join(commands)], env)


def quote(path):
    return '"' + path.replace('"', "") + '"'


def create_files(spec, share, files, created):
    by_owner = {}
    for item in files:
        if not os.path.lexists(os.path.join(share["path"], item["path"])):
            by_owner.setdefault(item["owner"], []).append(item)
    for owner, items in sorted(by_owner.items()):
        commands, made = [], set()
        with tempfile.TemporaryDirectory() as tmp:
            for n, item in enumerate(items):
                parts = item["path"].split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    rel = "/".join(parts[:depth])
                    if rel not in made and not os.path.isdir(os.path.join(share["path"], rel)):
                        commands.append(f"mkdir {quote(rel)}")
                        made.add(rel)
                local = os.path.join(tmp, str(n))
                with open(local, "w", encoding="utf-8") as fh:
                    fh.write(f"{item['path']}\nAngelegt von {owner} im Rahmen des Lab-Seeds.\n")
                commands.append(f"put {quote(local)} {quote(item['path'])}")
                if item.get("dosmode"):
                    commands.append(f"setmode {quote(item['path'])} {item['dosmode']}")
                created.append(f"file {share['name']}/{item['path']}")
            smbclient(spec, share, owner, commands)


def owner_ids(spec, account):
    """uid of the account and gid of Domain Users, as winbind on this member maps them."""
    return (pwd.getpwnam(f"{spec['workgroup']}\\{account}").pw_uid,
            grp.getgrnam(f"{spec['workgroup']}\\domain users").gr_gid)


def make_awkward(spec, share, item, created):
    """One awkward case, made on the server as root (see lab/seed.yml, awkward:)."""
    relative = item["path"].rstrip("/")
    full = os.path.join(os.fsencode(share["path"]), relative.encode(item.get("encoding", "utf-8")))
    if os.path.lexists(full):
        return
    uid, gid = owner_ids(spec, item.get("owner", "Administrator"))
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        os.makedirs(parent)
        os.chown(parent, uid, gid)
    if "link" in item:
        os.link(os.path.join(os.fsencode(share["path"]), item["link"].encode()), full)
    elif "symlink" in item:
        os.symlink(item["symlink"], full)
        os.chown(full, uid, gid, follow_symlinks=False)
    elif item["path"].endswith("/"):
        os.mkdir(full, 0o770)
        os.chown(full, uid, gid)
    else:
        with open(full, "wb") as handle:
            if "sparse" in item:
                handle.truncate(int(item["sparse"]) - 4)
                handle.seek(0, os.SEEK_END)
                handle.write(b"ende")
            else:
                handle.write(f"{relative}\nAltbestand, auf dem Server abgelegt.\n".encode())
        os.chown(full, uid, gid)
        os.chmod(full, 0o660)
    if item.get("extra_ace_sid"):
        auth, env = smb_auth(spec, "Administrator")
        run(["smbcacls", unc(share), relative, *auth, "-a", f"ACL:{item['extra_ace_sid']}:ALLOWED/0x0/READ"], env)
    created.append(f"awkward {share['name']}/{relative}")


def seed_share(spec, share, created):
    if not has_ntacl(share["path"]):
        aces = [ace(spec, a["principal"], a["access"], a.get("flags", INHERIT)) for a in share["acl"]]
        aces.append(ace(spec, "CREATOR OWNER", "FULL", "OI|CI|IO"))
        set_acl(spec, share, "", aces)
        created.append(f"acl {share['name']}")
    if share.get("homes"):
        for user in spec["users"]:
            if user.get("service") or not user.get("enabled", True):
                continue
            name = user["name"]
            home = os.path.join(share["path"], name)
            if not os.path.isdir(home):
                smbclient(spec, share, "Administrator", [f"mkdir {quote(name)}"])
            if not has_ntacl(home) or not os.path.exists(os.path.join(home, "Notizen.txt")):
                set_acl(spec, share, name, [ace(spec, name, "FULL"), ace(spec, "Domain Admins", "FULL")], owner=name)
                created.append(f"home {name}")
            create_files(spec, share, [{"path": f"{name}/Notizen.txt", "owner": name}], created)
    create_files(spec, share, share.get("files", []), created)
    for item in share.get("awkward", []):
        make_awkward(spec, share, item, created)


def main():
    spec = json.load(sys.stdin)
    created = []
    for share in spec["shares"]:
        seed_share(spec, share, created)
    json.dump({"created": created}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
