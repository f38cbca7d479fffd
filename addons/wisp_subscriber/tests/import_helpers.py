"""Shared by the import tests of wisp_subscriber, wisp_billing and wisp_network."""

import base64
import pathlib

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def fixture_text(name):
    return (FIXTURES / name).read_text()


def run_import(env, text, preset="template", dry_run=False, **vals):
    """A wizard on ``text`` (CSV) run as the user of ``env``: ``(wizard, action)``."""
    wizard = env["wisp.import"].create(
        {"preset": preset, "file": base64.b64encode(text.encode()), **vals}
    )
    action = wizard.action_check() if dry_run else wizard.action_import()
    return wizard, action


def imported(env, model, source, ref):
    """The record of ``model`` that ``source`` imported as ``ref``."""
    name = f"{source}__{model.replace('.', '_')}__{ref}"
    return env.ref(f"wisp_import.{name}", raise_if_not_found=False) or env[model]
