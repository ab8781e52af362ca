import yaml

from ansible_collections.kommunal.umzug.plugins.modules import accounts_mapping

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
OLD = "S-1-5-21-1-2-3"
NEW = "S-1-5-21-7-8-9"
KOMMUNE = {"id": "kommune-a", "ou": OU, "account_prefix": "ald-", "uid_range": {"start": 200000, "end": 200099},
           "gid_range": {"start": 200000, "end": 200099}, "share_namespace": "altdorf"}


def user(rid, name, given="", surname="", uid=None):
    return {"key": f"{OLD}-{rid}", "name": name, "sid": f"{OLD}-{rid}", "given": given, "surname": surname,
            "display": "", "uid": uid, "gid": None}


SOURCE = {"domain_sid": OLD, "users": [user(1105, "hmueller", "Hans", "Müller", 10001),
                                       user(1106, "kmueller-luedensche", "Karl-Heinz", "Müller-Lüdenscheidt"),
                                       user(500, "Administrator")],
          "groups": [{"key": f"{OLD}-1101", "name": "Kämmerei", "sid": f"{OLD}-1101", "gid": 20003}]}


def live(*objects):
    return {"domain_sid": NEW, "users": list(objects), "groups": [], "computers": []}


def args(tmp_path, central=None, **more):
    return {"path": str(tmp_path / "kommune-a.yml"), "directory": SOURCE, "live": central or live(),
            "kommune": KOMMUNE, "upn_suffix": "rz.test", **more}


def test_writes_the_mapping_then_changes_nothing(run_module, tmp_path):
    first = run_module(accounts_mapping.main, args(tmp_path))
    assert first["changed"]
    data = yaml.safe_load((tmp_path / "kommune-a.yml").read_text(encoding="utf-8"))
    names = {e["old_name"]: e["new_name"] for e in data["users"] + data["groups"]}
    # The well-known Administrator is translated by rule, never created.
    assert names == {"hmueller": "ald-hmueller", "kmueller-luedensche": "ald-kmueller-luedens",
                     "Kämmerei": "ald-kaemmerei"}
    assert first["umzug_changes"]["counts"] == {"mapped": 3}
    assert "accounts.name_shortened" in {f["key"] for f in first["umzug_findings"]}
    assert not run_module(accounts_mapping.main, args(tmp_path))["changed"]


def test_check_mode_writes_nothing_and_shows_the_file(run_module, tmp_path):
    result = run_module(accounts_mapping.main, args(tmp_path), check=True, diff=True)
    assert result["changed"]
    assert not (tmp_path / "kommune-a.yml").exists()
    assert 'new_name: "ald-hmueller"' in result["diff"]["after"]


def test_names_taken_in_the_central_directory_are_avoided(run_module, tmp_path):
    taken = {"name": "ald-hmueller", "sid": f"{NEW}-1200", "dn": "CN=x,OU=Other,DC=rz,DC=test"}
    result = run_module(accounts_mapping.main, args(tmp_path, live(taken)))
    hm = next(u for u in result["mapping"]["users"] if u["old_name"] == "hmueller")
    assert hm["new_name"] == "ald-hmueller2"


def test_new_sid_recorded_once_the_object_exists_at_its_dn(run_module, tmp_path):
    first = run_module(accounts_mapping.main, args(tmp_path))
    hm = next(u for u in first["mapping"]["users"] if u["old_name"] == "hmueller")
    created = {"name": hm["new_name"], "sid": f"{NEW}-1601", "dn": hm["new_dn"]}
    second = run_module(accounts_mapping.main, args(tmp_path, live(created)))
    hm = next(u for u in second["mapping"]["users"] if u["old_name"] == "hmueller")
    assert hm["new_sid"] == f"{NEW}-1601"
    assert hm["new_name"] == "ald-hmueller"
    # The object umzug created at the planned DN is no collision with the entry's own name.
    assert "accounts.fixed_name_taken" not in {f["key"] for f in second["umzug_findings"]}
    # An object of that name elsewhere, with another SID, still is.
    foreign = {"name": "ald-kaemmerei", "sid": f"{NEW}-1700", "dn": "CN=ald-kaemmerei,OU=Other,DC=rz,DC=test"}
    clash = run_module(accounts_mapping.main, args(tmp_path, live(created, foreign)))
    taken = [f for f in clash["umzug_findings"] if f["key"] == "accounts.fixed_name_taken"]
    assert [f["resources"] for f in taken] == [["Kämmerei", "ald-kaemmerei"]]
    # A rollback deleted it: the file no longer claims it exists.
    third = run_module(accounts_mapping.main, args(tmp_path))
    hm = next(u for u in third["mapping"]["users"] if u["old_name"] == "hmueller")
    assert hm["new_sid"] is None and hm["new_name"] == "ald-hmueller"


def test_names_of_other_kommunen_of_the_wave_are_taken(run_module, tmp_path):
    other = tmp_path / "kommune-b.yml"
    other.write_text(
        'schema_version: 1\nkommune: "kommune-b"\nsource_domain_sid: null\ntarget_domain_sid: null\n'
        'users:\n  - old_name: "x"\n    new_name: "ald-hmueller"\n    source: "manual"\ngroups: []\n',
        encoding="utf-8")
    result = run_module(accounts_mapping.main, args(tmp_path, wave_mappings=[str(other)]))
    hm = next(u for u in result["mapping"]["users"] if u["old_name"] == "hmueller")
    assert hm["new_name"] == "ald-hmueller2"
