"""Lab only: fill a Windows-like Kommune's share as Windows clients would have.

Everything a client can set is set over SMB 3 (smbclient, encrypted, as the seeded users):
files, alternate data streams, creation and write times, DOS attributes, security
descriptors (smbcacls with SDDL, so the auto-inheritance flags are those Windows Explorer
writes). Samba's own tools on the server set what no SMB client can: the offline bit (in
user.DOSATTRIB, as an HSM would) and symlinks. Not idempotent by itself: it writes a marker
file when complete, and the role runs it while the marker is missing.

Reads a JSON spec on stdin (share, workgroup, accounts, passwords, sizes) and prints a JSON
list of what it created. Passwords reach smbclient through $PASSWD only.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile

FULL = "0x001f01ff"
CHANGE = "0x001301bf"
READ = "0x001200a9"
FILE_ATTRIBUTE_OFFLINE = 0x1000


def run(args, secret=None):
    env = {**os.environ, **({"PASSWD": secret} if secret is not None else {})}
    proc = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed: {(proc.stdout + proc.stderr).strip()}")
    return proc.stdout


class Share:
    def __init__(self, spec):
        self.spec = spec
        # By name, as a PC connects: Kerberos and NTLM both need the server's name.
        self.unc = f"//{socket.gethostname()}/{spec['share']['name']}"
        self.path = spec["share"]["path"]

    def auth(self, role):
        account = "Administrator" if role == "Administrator" else self.spec["accounts"][role]
        return ["-U", f"{self.spec['workgroup']}\\{account}", "--client-protection=encrypt"], \
            self.spec["passwords"][account]

    def smbclient(self, role, commands):
        auth, secret = self.auth(role)
        return run(["smbclient", self.unc, *auth, "-c", "; ".join(commands)], secret)

    def sddl(self, path, sddl):
        auth, secret = self.auth("Administrator")
        run(["smbcacls", self.unc, path, *auth, "--sddl", "--set", sddl], secret)

    def sid(self, role):
        name = "Domain Admins" if role == "Domain Admins" else self.spec["accounts"][role]
        return run(["wbinfo", "-n", f"{self.spec['workgroup']}\\{name}"]).split()[0]


def q(path):
    return '"' + path + '"'


def local_file(tmp, name, content):
    path = os.path.join(tmp, name)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode())
    return path


def seed_root(share, created):
    # ARAI: the auto-inheritance request Windows Explorer sends; children get inherited
    # ACEs (flag I) and the root SE_DACL_AUTO_INHERITED, as on NTFS. The backup operator's
    # read ACE stands in for backup intent, which Windows honours and Samba does not (it
    # never lets FILE_OPEN_FOR_BACKUP_INTENT read past a DACL): without it umzug could not
    # read the share at all.
    share.sddl("", f"O:{share.sid('Domain Admins')}G:{share.sid('Domain Admins')}D:ARAI"
               f"(A;OICI;{FULL};;;{share.sid('Domain Admins')})"
               f"(A;OICI;{CHANGE};;;{share.sid('group')})"
               f"(A;OICI;{READ};;;{share.sid('backup')})"
               f"(A;OICIIO;{FULL};;;S-1-3-0)")
    created.append("acl /")


def seed_files(share, spec, tmp, created):
    big = os.urandom(spec["large_stream"])
    text = local_file(tmp, "haushalt", "Haushaltsplan 2024, Entwurf der Kämmerei.\n")
    zone = local_file(tmp, "zone", "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://kommune-c.example/\r\n")
    author = local_file(tmp, "author", "Autor: J. Vogel\n")
    preview = local_file(tmp, "preview", big)
    plain = local_file(tmp, "plain", "Inhalt.\n")
    plan = "Haushalt/Haushaltsplan 2024.xlsx"
    closing = "Haushalt/Jahresabschluss 2019.pdf"
    commands = [
        "mkdir Haushalt",
        f"put {q(text)} {q(plan)}",
        f"put {q(zone)} {q(plan + ':Zone.Identifier')}",
        f"put {q(author)} {q(plan + ':Autor')}",
        f"put {q(preview)} {q(plan + ':Vorschau')}",
        f"put {q(plain)} {q(closing)}",
        "mkdir Attribute",
    ]
    for name, flags in (("versteckt.txt", "+h"), ("system.dat", "+s"), ("schreibgeschützt.txt", "+r"),
                        ("archiv.txt", "+a"), ("ohne Archivbit.txt", "-a"), ("alle vier.txt", "+rsha")):
        commands += [f"put {q(plain)} {q('Attribute/' + name)}", f"setmode {q('Attribute/' + name)} {flags}"]
    # Created long before the last write, as a file copied in from an old server.
    commands += [f"utimes {q(plan)} 2019:01:02-03:04:05 -1 2023:05:06-07:08:09 -1",
                 f"utimes {q(closing)} 2019:03:01-08:00:00 -1 2020:02:14-16:30:00 -1"]
    deep = "Projekte"
    commands.append(f"mkdir {q(deep)}")
    for level in range(1, spec["depth"] + 1):
        deep += f"/Ebene{level:02d}"
        commands.append(f"mkdir {q(deep)}")
    commands.append(f"put {q(plain)} {q(deep + '/Ganz unten.txt')}")
    commands += ["mkdir Personal", "mkdir Personal/Vertraulich", f"put {q(plain)} {q('Personal/Dienstplan.txt')}",
                 "mkdir Offen", f"put {q(text)} {q('Offen/Haushaltsplan in Bearbeitung.xlsx')}",
                 "mkdir Archiv", f"put {q(plain)} {q('Archiv/Altakte 1998.pdf')}",
                 "mkdir Gesperrt", f"put {q(plain)} {q('Gesperrt/Personalakte.txt')}",
                 "mkdir Verknüpfungen"]
    share.smbclient("owner", commands)
    # smbclient reports a stream the server could not store and still exits 0.
    served = share.smbclient("owner", [f"allinfo {q(plan)}"])
    if f"[:Vorschau:$DATA], {spec['large_stream']} bytes" not in served:
        raise SystemExit(f"the large stream of {plan} was not stored: {served.strip()}")
    created += [plan, closing, "Attribute/", deep, "Personal/", "Offen/", "Archiv/", "Gesperrt/"]


def seed_ordinary(share, spec, tmp, created):
    root = os.path.join(tmp, "Belege")
    years = ("2022", "2023", "2024")
    for n in range(spec["ordinary_files"]):
        folder = os.path.join(root, years[n % len(years)])
        os.makedirs(folder, exist_ok=True)
        local_file(folder, f"Beleg-{n + 1:04d}.txt", f"Beleg {n + 1}\nBetrag: {n * 7 % 1000},00 EUR\n")
    share.smbclient("owner", [f"lcd {q(tmp)}", "recurse on", "prompt off", "mput Belege"])
    created.append(f"Belege/ ({spec['ordinary_files']} files)")


def seed_security(share, created):
    admins, owner, colleague, backup = (share.sid(r) for r in ("Domain Admins", "owner", "colleague", "backup"))
    # Broken inheritance: protected, explicit ACEs only, under Personal/ which inherits (the
    # backup operator's read as at the root, for backup intent).
    share.sddl("Personal/Vertraulich", f"O:{owner}G:{admins}D:PARAI(A;OICI;{FULL};;;{admins})"
               f"(A;OICI;{FULL};;;{owner})(A;OICI;{READ};;;{colleague})(A;OICI;{READ};;;{backup})")
    # Denies the backup operator everything: readable by it only with backup intent, so on
    # Samba the case of an object refused despite backup rights.
    share.sddl("Gesperrt/Personalakte.txt", f"O:{admins}G:{admins}D:PAR(D;;{FULL};;;{backup})"
               f"(A;;{FULL};;;{admins})")
    share.smbclient("owner", [f"put /etc/hostname {q('Personal/Vertraulich/Gehaltsliste.txt')}"])
    created += ["acl Personal/Vertraulich", "acl Gesperrt/Personalakte.txt"]


def seed_on_server(share, created):
    """What no SMB client sets: the offline bit an HSM sets, and symlinks."""
    from samba.dcerpc import xattr
    from samba.ndr import ndr_pack, ndr_unpack

    offline = os.path.join(share.path, "Archiv/Altakte 1998.pdf")
    info = ndr_unpack(xattr.DOSATTRIB, os.getxattr(offline, "user.DOSATTRIB"))
    info.info.attrib |= FILE_ATTRIBUTE_OFFLINE
    os.setxattr(offline, "user.DOSATTRIB", ndr_pack(info))
    links = os.path.join(share.path, "Verknüpfungen")
    os.symlink("../Haushalt/Jahresabschluss 2019.pdf", os.path.join(links, "Jahresabschluss (Verweis)"))
    os.symlink("/etc", os.path.join(links, "Verweis nach draußen"))
    created += ["offline Archiv/Altakte 1998.pdf", "symlinks Verknüpfungen/"]


def main():
    spec = json.load(sys.stdin)
    share = Share(spec)
    created = []
    seed_root(share, created)
    with tempfile.TemporaryDirectory() as tmp:
        seed_files(share, spec, tmp, created)
        seed_ordinary(share, spec, tmp, created)
    seed_security(share, created)
    seed_on_server(share, created)
    result = json.dumps({"created": created}, ensure_ascii=False)
    # The marker says the seed is complete; the role runs the seed while it is missing.
    with open(spec["marker"], "w", encoding="utf-8") as handle:
        handle.write(result + "\n")
    print(result)


if __name__ == "__main__":
    main()
