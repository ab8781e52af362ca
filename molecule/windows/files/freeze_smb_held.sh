#!/bin/bash
# Lab only (tasks/freeze_smb.yml): an ordinary user's SMB session connected to the share
# before the freeze, holding the file PROBE open as a client with a document open does,
# which tries to write HELD once the file GO exists (after the freeze) and reports in OUT.
# Usage: freeze_smb_held.sh GO OUT; SERVER, SHARE, USER_NAME, USER_PASSWD, PROBE and HELD
# come through the environment.
set -u
go=$1 out=$2
probe=$(mktemp)
echo held >"$probe"
{
  echo "open \"$PROBE\""
  for _ in $(seq 1 240); do [ -e "$go" ] && break; sleep 0.5; done
  echo "put $probe \"$HELD\""
  echo "ls \"$HELD\""
} | PASSWD="$USER_PASSWD" stdbuf -oL smbclient "//$SERVER/$SHARE" -U "$USER_NAME" >"$out.txt" 2>&1
echo $? >"$out.rc"
rm -f "$probe"
