"""Every lab host is a healthy "VM": systemd up, sshd reachable with the lab key."""

import paramiko


def test_systemd_has_started_the_host(host):
    state = host.run("systemctl is-system-running --wait").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend --plain").stdout


def test_sshd_runs_and_listens(host):
    assert host.service("ssh").is_running
    assert host.service("ssh").is_enabled
    assert host.socket("tcp://0.0.0.0:22").is_listening


def test_ssh_login_with_the_lab_key(host):
    """A direct SSH session (paramiko, not Ansible) lands on the expected host."""
    hostvars = host.ansible.get_variables()
    client = paramiko.SSHClient()
    # Scenario hosts are created anew on every run, so their host keys are new too.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(hostvars["ansible_host"], username="root", key_filename=hostvars["ansible_ssh_private_key_file"],
                   timeout=15, allow_agent=False, look_for_keys=False)
    try:
        _, stdout, _ = client.exec_command("hostname")
        assert stdout.read().decode().strip() == hostvars["inventory_hostname"]
    finally:
        client.close()


def test_password_login_is_refused(host):
    config = host.run("sshd -T").stdout.lower().splitlines()
    assert "passwordauthentication no" in config
    assert "permitrootlogin without-password" in config
