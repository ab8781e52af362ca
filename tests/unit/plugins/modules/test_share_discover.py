"""share_discover reports a frozen share with the settings it had before the freeze."""

import json

from ansible_collections.kommunal.umzug.plugins.modules.share_discover import unfrozen_settings


def test_settings_before_the_freeze_as_testparm_showed_them(tmp_path):
    record = tmp_path / "bauamt.json"
    record.write_text(json.dumps({"share": "bauamt", "removed": [[1, "    read only = no"],
                                                                 [2, "    write list = @bauamt"]]}))
    frozen = {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "Yes"}
    before, is_frozen = unfrozen_settings(frozen, str(record))
    assert is_frozen
    assert before == {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "No", "write list": "@bauamt"}
    assert unfrozen_settings(frozen, str(tmp_path / "none.json")) == (frozen, False)
