"""Fixtures of the RADIUS suites: a throw-away FreeRADIUS database and a real radiusd.

Module-scoped: each test module gets its own database and server. A module that
must write to the database before radiusd starts (the many-NAS suite writes its
clients, which radiusd reads at start) overrides ``radius_clients``; ``db`` empties
the test module's ``TABLES`` before each test.
"""

import psycopg2
import pytest
from radius_harness import HarnessError, RadiusServer, postgres_database


@pytest.fixture(scope="module")
def dsn():
    try:
        with postgres_database() as value:
            yield value
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def radius_clients(dsn):
    """What the module writes to the database before radiusd starts: nothing here."""


@pytest.fixture(scope="module")
def radiusd(dsn, radius_clients):
    try:
        server = RadiusServer(dsn).start()
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def db(dsn, request):
    """A direct connection (autocommit) to inspect and tamper with the tables, the
    test module's ``TABLES`` emptied first."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in request.module.TABLES:
            cur.execute(f"DELETE FROM {table}")
    yield conn
    conn.close()
