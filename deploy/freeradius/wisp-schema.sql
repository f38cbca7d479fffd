-- The WISP suite's additions to FreeRADIUS's PostgreSQL schema (Debian's
-- mods-config/sql/main/postgresql/schema.sql): indexes only, the tables stay stock.
-- Idempotent; run it once after the stock schema.

-- A router's full reconcile finds its logins by their NAS scope check item
-- (Packet-Src-IP-Address == <router>).
CREATE INDEX IF NOT EXISTS radcheck_wisp_nas ON radcheck (attribute, value)
    WHERE attribute IN ('Packet-Src-IP-Address', 'Packet-Src-IPv6-Address');

-- The purge of old post-auth rows (purge-radpostauth.sql) walks this index.
CREATE INDEX IF NOT EXISTS radpostauth_authdate ON radpostauth (authdate);
