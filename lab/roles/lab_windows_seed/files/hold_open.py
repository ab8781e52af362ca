"""Lab only: hold one file of a share open over SMB with share access none.

What a Windows user with an open Excel file does: every other open, reading included,
fails with NT_STATUS_SHARING_VIOLATION while this runs. Run by systemd
(umzug-lab-deny-read.service); reports ready once the file is open, then holds it until
stopped. Connects through Samba's own Python bindings as the account and with the
password in its environment (HOLD_USER of the server's domain, PASSWD), share and path in HOLD_SHARE, HOLD_PATH.
"""

import os
import signal
import socket
import subprocess

from samba import credentials
from samba.samba3 import libsmb_samba_internal as libsmb
from samba.samba3 import param as s3param

FILE_GENERIC_READ = 0x00120089
SHARE_NONE = 0


def main():
    lp = s3param.get_context()
    lp.load_default()
    creds = credentials.Credentials()
    creds.guess(lp)
    creds.set_username(os.environ["HOLD_USER"])
    creds.set_password(os.environ["PASSWD"])
    conn = libsmb.Conn(socket.gethostname(), os.environ["HOLD_SHARE"], lp, creds)
    path = os.environ["HOLD_PATH"].replace("/", "\\")
    handle = conn.create(path, DesiredAccess=FILE_GENERIC_READ, ShareAccess=SHARE_NONE)
    subprocess.run(["systemd-notify", "--ready", f"--status=holding {os.environ['HOLD_PATH']}"], check=False)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    conn.close(handle)


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
