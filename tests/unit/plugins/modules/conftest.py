"""Run a module's main() in-process with arguments, and return its result dict."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result: dict, failed: bool):
        super().__init__(result.get("msg", ""))
        self.result, self.failed = result, failed


@pytest.fixture
def run_module(monkeypatch):
    def _exit(self, **result):
        raise ModuleExit(json.loads(json.dumps(result)), False)

    def _fail(self, msg, **result):
        raise ModuleExit({"msg": msg, **json.loads(json.dumps(result))}, True)

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.exit_json", _exit)
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.fail_json", _fail)

    def run(main, args: dict, *, check: bool = False, diff: bool = False, fails: bool = False) -> dict:
        args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
        with patch_module_args(args), pytest.raises(ModuleExit) as caught:
            main()
        assert caught.value.failed is fails, caught.value.result
        return caught.value.result

    return run
