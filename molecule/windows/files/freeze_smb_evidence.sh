#!/bin/bash
# Lab only (tasks/freeze_smb.yml): what the source share looks like over SMB at one step of
# the freeze, taken without umzug. Usage: freeze_smb_evidence.sh FOLDER; SERVER, SHARE,
# PROBE, ADMIN, USER_NAME and the passwords ADMIN_PASSWD, USER_PASSWD come through the
# environment, never the command line. Writes share_sd.b64 (the share ACL's bytes, Samba's
# own srvsvc binding), rpcclient.txt (netsharegetinfo 502), put.* and get.* (smbclient as an
# ordinary user, each on a new connection).
set -u
out=$1
mkdir -p "$out"
PASSWD="$ADMIN_PASSWD" python3 - >"$out/share_sd.b64" 2>"$out/share_sd.err" <<'PY'
import base64
import os

from samba import credentials, ndr, param
from samba.dcerpc import srvsvc

lp = param.LoadParm()
creds = credentials.Credentials()
creds.guess(lp)
creds.parse_string(os.environ["ADMIN"])
creds.set_password(os.environ["PASSWD"])
pipe = srvsvc.srvsvc(f"ncacn_np:{os.environ['SERVER']}[smb2,seal,sign]", lp, creds)
sd = pipe.NetShareGetInfo(f"\\\\{os.environ['SERVER']}", os.environ["SHARE"], 502).sd_buf.sd
print(base64.b64encode(ndr.ndr_pack(sd)).decode() if sd is not None else "none")
PY
PASSWD="$ADMIN_PASSWD" rpcclient "$SERVER" -U "$ADMIN" -c "netsharegetinfo $SHARE 502" >"$out/rpcclient.txt" 2>&1
probe=$(mktemp)
printf 'probe %s\n' "$(basename "$out")" >"$probe"
PASSWD="$USER_PASSWD" smbclient "//$SERVER/$SHARE" -U "$USER_NAME" -c "put $probe \"$PROBE\"" >"$out/put.txt" 2>&1
echo $? >"$out/put.rc"
PASSWD="$USER_PASSWD" smbclient "//$SERVER/$SHARE" -U "$USER_NAME" -c "get \"$PROBE\" $probe" >"$out/get.txt" 2>&1
echo $? >"$out/get.rc"
rm -f "$probe"
