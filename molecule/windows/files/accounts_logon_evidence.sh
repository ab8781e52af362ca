#!/bin/bash
# Lab only (tasks/accounts.yml): who can log on where at one step of the accounts role, taken
# without umzug: smbclient lists the shares of a server after an authenticated session, each
# on a new connection. Usage: accounts_logon_evidence.sh FOLDER; the servers and accounts come
# through the environment (RZ_FS, KOMMUNE_FS, KOMMUNE_DC, RZ_USER, USER_NAME, BACKUP_NAME,
# ADMIN_NAME, REPL_NAME), and so do the passwords (OLD_PASSWD: the Kommune user's password of
# the seed; WRONG_PASSWD, BACKUP_PASSWD, ADMIN_PASSWD, REPL_PASSWD), never the command line.
# Writes <check>.txt (smbclient's output) and <check>.rc per check.
set -u
out=$1
mkdir -p "$out"

check() {
  local name=$1 server=$2 user=$3 secret=$4
  PASSWD="${!secret}" smbclient -L "$server" -U "$user" >"$out/$name.txt" 2>&1
  echo $? >"$out/$name.rc"
}

# The migrated user at the RZ file server, with the old password and with a wrong one.
check rz_old "$RZ_FS" "$RZ_USER" OLD_PASSWD
check rz_wrong "$RZ_FS" "$RZ_USER" WRONG_PASSWD
# The same person at the Kommune's file server and DC (the source account).
check kommune_fs_user "$KOMMUNE_FS" "$USER_NAME" OLD_PASSWD
check kommune_dc_user "$KOMMUNE_DC" "$USER_NAME" OLD_PASSWD
# umzug's own accounts at the source: the SMB backup and administrator accounts, the
# replication account.
check kommune_fs_backup "$KOMMUNE_FS" "$BACKUP_NAME" BACKUP_PASSWD
check kommune_dc_admin "$KOMMUNE_DC" "$ADMIN_NAME" ADMIN_PASSWD
check kommune_dc_repl "$KOMMUNE_DC" "$REPL_NAME" REPL_PASSWD
exit 0
