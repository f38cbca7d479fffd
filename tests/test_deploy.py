"""The production deployment files, used for real: nginx in front of a multi-process Odoo.

``deploy/nginx/wisp.conf`` is checked by ``nginx -t`` and then served by a real nginx
on loopback (a self-signed certificate, free ports: the only changes, each asserted),
in front of a real Odoo started with ``deploy/odoo.conf`` (only the database, paths
and ports changed): HTTP workers, cron workers and the websocket process.
Needs Debian's ``nginx`` (`bin/wisp test` installs it) and a PostgreSQL the current
user may create databases on.
"""

import configparser
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

import psutil
import psycopg2
import pytest
import requests
import urllib3
import websocket

ROOT = pathlib.Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx" / "wisp.conf"
ODOO_CONF = ROOT / "deploy" / "odoo.conf"
HOST = "crm.example.net"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary():
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("nginx is needed for these tests: apt-get install -y nginx")
    return binary


def replace(text, old, new):
    assert old in text, f"deploy/nginx/wisp.conf changed: {old!r} not found"
    return text.replace(old, new)


def render_site(tmp_path, ports):
    """The shipped site file with loopback ports and a test certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    text = NGINX_CONF.read_text()
    text = replace(text, "    listen [::]:80;\n", "")
    text = replace(text, "    listen [::]:443 ssl http2;\n", "")
    text = replace(text, "listen 80;", f"listen 127.0.0.1:{ports['http']};")
    text = replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;")
    text = replace(text, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    text = replace(text, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    text = replace(text, "server 127.0.0.1:8069;", f"server 127.0.0.1:{ports['odoo']};")
    text = replace(text, "server 127.0.0.1:8072;", f"server 127.0.0.1:{ports['websocket']};")
    site = tmp_path / "wisp.conf"
    site.write_text(text)
    main = tmp_path / "nginx.conf"
    temp = [
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    ]
    main.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path / 'access.log'};\n  {' '.join(temp)}\n"
        f"  include {site};\n}}\n"
    )
    return main


def render_odoo_conf(tmp_path, ports, database):
    """deploy/odoo.conf with this machine's database, paths and ports; the rest as shipped."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ODOO_CONF)
    options = parser["options"]
    options.update(
        {
            # the current user through the default socket (or PGHOST), as bin/wisp uses
            "db_host": "False",
            "db_port": "False",
            "db_user": "False",
            "db_name": database,
            "dbfilter": f"^{database}$",
            "admin_passwd": secrets.token_hex(16),
            "addons_path": str(ROOT / "addons"),
            "data_dir": str(tmp_path / "data"),
            "logfile": str(tmp_path / "odoo.log"),
            "http_port": str(ports["odoo"]),
            "gevent_port": str(ports["websocket"]),
        }
    )
    path = tmp_path / "odoo.conf"
    with path.open("w") as out:
        parser.write(out)
    return path


def test_nginx_accepts_the_shipped_site(tmp_path):
    ports = {name: free_port() for name in ("http", "https", "odoo", "websocket")}
    main = render_site(tmp_path, ports)
    check = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_odoo_reads_the_shipped_production_settings(tmp_path):
    code = (
        "import json, sys\n"
        "from odoo.tools import config\n"
        "config._parse_config(['-c', sys.argv[1], '--addons-path', sys.argv[2]])\n"
        "keys = ['workers', 'max_cron_threads', 'proxy_mode', 'list_db', 'with_demo',\n"
        "        'http_interface', 'gevent_port', 'limit_time_real_cron', 'dbfilter']\n"
        "print(json.dumps({k: config[k] for k in keys}))\n"
    )
    read = subprocess.run(
        [sys.executable, "-c", code, str(ODOO_CONF), str(ROOT / "addons")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    settings = json.loads(read.stdout.strip().splitlines()[-1])
    assert settings["workers"] >= 2
    assert settings["max_cron_threads"] >= 2
    assert settings["proxy_mode"] is True
    assert settings["list_db"] is False
    assert settings["with_demo"] is False
    assert settings["http_interface"] == "127.0.0.1"
    assert settings["gevent_port"] == 8072
    assert settings["limit_time_real_cron"] > 0
    assert settings["dbfilter"] == "^wisp$"


@pytest.fixture
def deployment(tmp_path, wisp):
    """Odoo (deploy/odoo.conf, multi-process) behind nginx (deploy/nginx/wisp.conf)."""
    ports = {name: free_port() for name in ("http", "https", "odoo", "websocket")}
    database = f"wisp_deploy_test_{os.getpid()}_{secrets.token_hex(3)}"
    conf = render_odoo_conf(tmp_path, ports, database)
    # as bin/wisp starts it: the multi-process server re-runs this script
    odoo = [sys.executable, wisp.odoo_script(), "-c", str(conf)]
    subprocess.run([*odoo, "-i", "base", "--stop-after-init"], check=True, cwd=tmp_path)
    server = subprocess.Popen(odoo, cwd=tmp_path)
    nginx = subprocess.Popen(
        [nginx_binary(), "-p", str(tmp_path), "-c", str(render_site(tmp_path, ports))]
    )
    try:
        yield {"ports": ports, "server": server, "log": tmp_path / "odoo.log"}
    finally:
        for process in (nginx, server):
            process.send_signal(signal.SIGTERM)
        for process in (nginx, server):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        conn = psycopg2.connect(dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.close()


def wait_for(url, deadline=90, **kwargs):
    end = time.monotonic() + deadline
    while True:
        try:
            return requests.get(url, timeout=10, **kwargs)
        except requests.ConnectionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


def test_odoo_multi_process_behind_nginx_over_https(deployment):
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    ports = deployment["ports"]
    https = f"https://127.0.0.1:{ports['https']}"
    page = wait_for(f"{https}/web/login", verify=False, headers={"Host": HOST})
    while page.status_code == 502 and deployment["server"].poll() is None:
        time.sleep(0.5)  # nginx is up, Odoo's workers not yet
        page = requests.get(f"{https}/web/login", verify=False, headers={"Host": HOST})
    assert page.status_code == 200, page.text[:500]
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    cookie = page.headers["Set-Cookie"]
    assert "session_id=" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie

    plain = requests.get(
        f"http://127.0.0.1:{ports['http']}/web/login",
        headers={"Host": HOST},
        allow_redirects=False,
        timeout=10,
    )
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/web/login"

    manager = requests.get(
        f"{https}/web/database/manager", verify=False, headers={"Host": HOST}, timeout=10
    )
    assert manager.status_code == 404

    # the websocket goes through nginx to Odoo's gevent process (which starts last)
    end = time.monotonic() + 60
    while True:
        try:
            connection = websocket.create_connection(
                f"wss://127.0.0.1:{ports['https']}/websocket",
                sslopt={"cert_reqs": ssl.CERT_NONE},
                host=HOST,
                origin=f"https://{HOST}",
                timeout=30,
            )
            break
        except websocket.WebSocketBadStatusException as exc:
            if exc.status_code != 502 or time.monotonic() > end:
                raise
            time.sleep(0.5)
    connection.close()

    # multi-process: HTTP workers, cron workers and the websocket process
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(ODOO_CONF)
    expected = int(conf["options"]["workers"]) + int(conf["options"]["max_cron_threads"]) + 1
    master = psutil.Process(deployment["server"].pid)
    end = time.monotonic() + 60
    while len(master.children()) < expected and time.monotonic() < end:
        time.sleep(0.5)
    assert len(master.children()) >= expected
