"""Holds one file of an SMB share open with share access 0 (nobody else may read, write or
delete it), as a database or mail store does, until it is killed or its time runs out.
The lab's deny-read case for the SMB source's pre-flight (tasks/discover_smb.yml).

Usage: hold_open.py SERVER SHARE PATH SECONDS PIDFILE (user and password in SMB_USER,
SMB_PASSWORD); PIDFILE names the process, so the scenario ends exactly this one.
"""

import os
import sys
import time
import uuid

from smbprotocol.connection import Connection
from smbprotocol.open import CreateDisposition, ImpersonationLevel, Open
from smbprotocol.session import Session
from smbprotocol.tree import TreeConnect

GENERIC_READ_WRITE = 0x120089 | 0x120116
SHARE_NONE = 0


def main(server: str, share: str, path: str, seconds: str, pidfile: str) -> None:
    with open(pidfile, "w", encoding="ascii") as handle:
        handle.write(f"{os.getpid()}\n")
    connection = Connection(uuid.uuid4(), server, 445)
    connection.connect()
    session = Session(connection, os.environ["SMB_USER"], os.environ["SMB_PASSWORD"], require_encryption=True)
    session.connect()
    tree = TreeConnect(session, f"\\\\{server}\\{share}")
    tree.connect()
    held = Open(tree, path)
    held.create(ImpersonationLevel.Impersonation, GENERIC_READ_WRITE, 0, SHARE_NONE, CreateDisposition.FILE_OPEN, 0)
    print(f"holding {path}", flush=True)
    time.sleep(float(seconds))


if __name__ == "__main__":
    main(*sys.argv[1:6])
