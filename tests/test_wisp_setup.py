"""`bin/wisp` on a fresh machine: Odoo 19 set up in the project's virtualenv.

The Odoo source is a small stand-in tree made here (``odoo/release.py`` and a
``requirements.txt``), packed the way Odoo publishes its source; nothing is
downloaded: the only requirement left after the set-up's rewriting is pip itself,
which a new virtualenv already has (the pins the set-up adds, which would be
downloads, are checked by the rewriting test and left out of the others).
"""

import pathlib
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def odoo_archive(tmp_path, major=19):
    tree = tmp_path / "stand-in" / f"odoo-{major}.0"
    (tree / "odoo").mkdir(parents=True)
    (tree / "odoo" / "release.py").write_text(
        f"version_info = ({major}, 0, 0, 'final', 0, '')\nversion = '{major}.0'\n"
    )
    (tree / "requirements.txt").write_text(
        "# Odoo's pins, as the set-up rewrites them\n"
        "python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12'\n"
        "pip>=20  # already in every new virtualenv: nothing to download\n"
    )
    archive = tmp_path / f"odoo_{major}.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return archive


def test_requirements_are_odoos_pins_with_the_known_exceptions(wisp):
    text = "\n".join(
        [
            "Babel==2.10.3  # min version = 2.10.3 (Jammy)",
            "cbor2==5.4.2 ; python_version < '3.12'",
            "cbor2==5.6.2 ; python_version >= '3.12'",
            "python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12'",
            "PyPDF2==2.12.1 ; python_version > '3.10' and python_version < '3.13'",
            "",
        ]
    )
    assert wisp.odoo_requirements(text) == [
        "Babel==2.10.3",
        "cbor2==5.6.2 ; python_version < '3.12'",
        "cbor2==5.6.2 ; python_version >= '3.12'",
        # PyPDF2 stays pinned: a newer one breaks Odoo's merge_pdf
        "PyPDF2==2.12.1 ; python_version > '3.10' and python_version < '3.13'",
        *wisp.REQUIREMENT_ADDITIONS,
    ]


@pytest.fixture
def offline(wisp, monkeypatch):
    monkeypatch.setattr(wisp, "REQUIREMENT_ADDITIONS", [])


@pytest.mark.usefixtures("offline")
def test_fresh_machine_sets_up_odoo_19_once_and_reuses_it(wisp, tmp_path, monkeypatch):
    archive = odoo_archive(tmp_path)
    venv = tmp_path / "venv"
    monkeypatch.setattr(wisp, "VENV", venv)
    monkeypatch.setattr(wisp, "ODOO_SOURCES", tmp_path / "odoo-src")
    monkeypatch.setattr(wisp, "odoo_importable", lambda: None)
    monkeypatch.setenv("WISP_ODOO_SOURCE", str(archive))
    monkeypatch.delenv("WISP_IN_VENV", raising=False)
    execs = []

    def execve(path, argv, env):
        execs.append((path, argv, env["WISP_IN_VENV"]))

    monkeypatch.setattr(wisp.os, "execve", execve)
    setups = []
    real_setup = wisp.setup_odoo

    def setup_odoo(source):
        setups.append(source)
        return real_setup(source)

    monkeypatch.setattr(wisp, "setup_odoo", setup_odoo)

    wisp.ensure_odoo()
    assert setups == [str(archive)]
    assert wisp.venv_odoo_major(venv) == 19
    pth = next(venv.glob("lib/python*/site-packages/wisp-odoo.pth"))
    assert pth.read_text().strip() == str(tmp_path / "odoo-src" / "odoo-19.0")
    assert (venv / "odoo-requirements.txt").read_text() == "pip>=20\n"
    # the command goes on under the virtualenv's python
    assert execs[0][0] == str(venv / "bin" / "python")
    assert execs[0][1][1] == str(ROOT / "bin" / "wisp")
    assert execs[0][2] == "1"

    # the next run reuses the virtualenv: no new set-up
    wisp.ensure_odoo()
    assert len(setups) == 1
    assert len(execs) == 2


@pytest.mark.usefixtures("offline")
def test_a_checkout_is_used_in_place(wisp, tmp_path):
    archive = odoo_archive(tmp_path)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "checkout", filter="data")
    checkout = tmp_path / "checkout" / "odoo-19.0"
    venv = tmp_path / "venv"
    assert wisp.setup_odoo(str(checkout), venv=venv, sources=tmp_path / "unused") == 19
    assert not (tmp_path / "unused").exists()


@pytest.mark.usefixtures("offline")
def test_another_major_version_is_refused(wisp, tmp_path):
    archive = odoo_archive(tmp_path, major=18)
    with pytest.raises(SystemExit, match="version 18, not 19"):
        wisp.setup_odoo(str(archive), venv=tmp_path / "venv", sources=tmp_path / "src")


def test_a_source_without_odoo_is_refused(wisp, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit, match="no Odoo source"):
        wisp.setup_odoo(str(empty), venv=tmp_path / "venv", sources=tmp_path / "src")


def test_inside_the_venv_without_odoo_it_stops_instead_of_looping(wisp, monkeypatch):
    monkeypatch.setattr(wisp, "odoo_importable", lambda: None)
    monkeypatch.setenv("WISP_IN_VENV", "1")
    with pytest.raises(SystemExit, match="does not import Odoo 19"):
        wisp.ensure_odoo()


def test_an_unreachable_source_says_what_to_do(wisp, tmp_path):
    # a file URL to nothing: refused at once, no network involved
    missing = (tmp_path / "nowhere.tar.gz").as_uri()
    with pytest.raises(SystemExit, match=r"cannot download the Odoo source .*WISP_ODOO_SOURCE"):
        wisp.setup_odoo(missing, venv=tmp_path / "venv", sources=tmp_path / "src")
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("filters", [True, False], ids=["data-filter", "before-3.11.4"])
def test_an_archive_member_leaving_the_folder_is_refused(wisp, tmp_path, monkeypatch, filters):
    if not filters:
        monkeypatch.delattr(wisp.tarfile, "data_filter", raising=False)
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(evil, arcname="../outside.txt")
    with pytest.raises(SystemExit, match="refusing"):
        wisp.setup_odoo(str(archive), venv=tmp_path / "venv", sources=tmp_path / "src")
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "venv").exists()
