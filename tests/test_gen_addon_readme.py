"""`bin/gen-addon-readme`: README.rst built from readme/ fragments, and its check."""

import itertools
import pathlib
import subprocess
import sys

import docutils.core

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOL = ROOT / "bin" / "gen-addon-readme"


def run(*args):
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, check=False
    )


def addon(tmp_path, **fragments):
    path = tmp_path / "wisp_demo"
    (path / "readme").mkdir(parents=True)
    (path / "__manifest__.py").write_text(
        '{"name": "WISP Demo", "author": "WISP suite developers, Someone Else"}\n'
    )
    for name, text in fragments.items():
        (path / "readme" / f"{name}.rst").write_text(text)
    return path


def test_fragments_in_oca_order_under_oca_headings(tmp_path):
    path = addon(
        tmp_path,
        DESCRIPTION="What it does.\n",
        USAGE="Open it.\n\nA part\n~~~~~~\n\nIts text.\n",
        CONFIGURE="Set it.\n",
        ROADMAP="",  # empty: no section
        CONTRIBUTORS="* A Person\n",
    )
    assert run(path).returncode == 0
    readme = (path / "README.rst").read_text()
    heads = [
        line
        for line, under in itertools.pairwise(readme.splitlines())
        if under and set(under) <= {"=", "~"} and len(under) == len(line)
    ]
    assert heads == [
        "WISP Demo",
        "Configuration",
        "Usage",
        "A part",
        "Credits",
        "Authors",
        "Contributors",
    ]
    assert readme.index("What it does.") < readme.index(".. contents::")
    assert "* WISP suite developers\n* Someone Else\n" in readme
    assert "Known issues" not in readme
    # valid reStructuredText, as bin/check-addon-files reads it
    docutils.core.publish_string(
        readme, writer_name="null", settings_overrides={"halt_level": 2, "report_level": 2}
    )


def test_check_fails_on_a_readme_the_fragments_do_not_make(tmp_path):
    path = addon(tmp_path, DESCRIPTION="What it does.\n")
    assert run("--check", path).returncode == 1, "no README.rst yet"
    run(path)
    assert run("--check", path).returncode == 0
    (path / "readme" / "USAGE.rst").write_text("New text.\n")
    stale = run("--check", path)
    assert stale.returncode == 1
    assert "edit the fragments, then run bin/gen-addon-readme" in stale.stdout
    assert "New text." not in (path / "README.rst").read_text(), "--check writes nothing"


def test_repository_readmes_are_generated():
    assert run("--check").returncode == 0
