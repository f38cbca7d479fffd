"""`bin/wisp test --alone`: each addon's Odoo tests on a database holding only that
addon and its declared dependencies, tallied like the other suites.

Odoo itself is not started: ``subprocess.run`` is replaced by a stand-in that records
the command and writes the log Odoo would write, with the summary line it ends on.
"""

import pytest


@pytest.fixture
def odoo_runs(wisp, tmp_path, monkeypatch):
    """The Odoo commands run, each answered by a log with ``results[addon]``."""
    runs = []
    results = {}
    monkeypatch.setattr(wisp, "LOCAL", tmp_path)
    monkeypatch.setattr(wisp, "odoo_script", lambda: "odoo-bin")
    monkeypatch.setattr(wisp, "drop_database", runs.append)

    def run(cmd, **_kwargs):
        runs.append(cmd)
        addon = cmd[cmd.index("-i") + 1]
        log = next(arg for arg in cmd if arg.startswith("--logfile=")).split("=", 1)[1]
        failed, total = results.get(addon, (0, 3))
        with open(log, "w") as handle:
            handle.write(
                f"INFO db odoo.tests.result: {failed} failed, 0 error(s) of {total} tests "
                "when loading database 'db'\n"
            )
        return wisp.subprocess.CompletedProcess(cmd, int(bool(failed)))

    monkeypatch.setattr(wisp.subprocess, "run", run)
    return runs, results


def test_an_addon_alone_installs_only_it_and_runs_only_its_tests(wisp, odoo_runs, capsys):
    runs, results = odoo_runs
    results["wisp_billing"] = (1, 12)
    tally = wisp.Tally()
    wisp.run_odoo_tests(tally, ["--db_port=5432"], alone="wisp_billing")
    cmd, dropped = runs
    # no DEMO_MODULES (payment_demo): the addon must not need what it does not declare
    assert cmd[cmd.index("-i") + 1] == "wisp_billing"
    assert "--test-tags=/wisp_billing" in cmd
    assert "--with-demo" in cmd
    assert "--db_port=5432" in cmd
    database = cmd[cmd.index("-d") + 1]
    assert database.endswith("_wisp_billing")
    assert dropped == database, "the throw-away database is dropped"
    assert tally.rows == [("wisp_billing alone", 11, 1, tally.rows[0][3])]
    assert tally.close() == 1
    assert "11 passed, 1 failed" in capsys.readouterr().out


def test_alone_without_names_runs_every_addon_one_database_each(wisp, odoo_runs, monkeypatch):
    runs, _results = odoo_runs
    monkeypatch.setattr(wisp, "odoo_importable", lambda: (19, 0))
    monkeypatch.setattr(wisp, "ensure_postgres", list)
    assert wisp.run_alone(wisp.Tally(), []) == 0
    installed = [cmd[cmd.index("-i") + 1] for cmd in runs if isinstance(cmd, list)]
    assert installed == wisp.wisp_addons()


def test_the_full_run_still_installs_every_addon_with_the_demo_modules(wisp, odoo_runs):
    runs, _results = odoo_runs
    tally = wisp.Tally()
    wisp.run_odoo_tests(tally, [])
    cmd = runs[0]
    assert cmd[cmd.index("-i") + 1].split(",") == wisp.wisp_addons() + wisp.DEMO_MODULES
    assert tally.rows[0][:3] == ("odoo tests", 3, 0)


def test_an_unknown_addon_is_refused(wisp, monkeypatch, capsys):
    monkeypatch.setattr(wisp.sys, "argv", ["bin/wisp", "test", "--alone", "wisp_nothing"])
    with pytest.raises(SystemExit):
        wisp.main()
    assert "invalid choice: 'wisp_nothing'" in capsys.readouterr().err
