-- WISP suite: incremental usage and safe purging of FreeRADIUS accounting (PostgreSQL).
--
-- Load once into the FreeRADIUS database, after FreeRADIUS's own schema.sql, as the
-- owner of radacct (the trigger needs it), in the schema that holds radacct:
--
--     psql -d radius -v ON_ERROR_STOP=1 -f wisp-accounting.sql
--
-- The suite's database role reads radacct, nas and wisp_usage (GRANT SELECT); radiusd's
-- role needs nothing more (the trigger runs as this file's owner, SECURITY DEFINER, with
-- its search_path fixed).
--
-- Re-running it is harmless (everything is CREATE OR REPLACE / IF NOT EXISTS), but
-- the first run seeds wisp_usage from radacct: run it before any purge.
--
-- What it adds:
--
-- * wisp_usage: bytes per login, folded in by a trigger on every accounting write
--   (Start, Interim-Update, Stop: the row's counter growth since its last write).
--   Totals only grow: deleting radacct rows (purging) does not touch them, so a purge
--   never counts bytes twice nor looks like a counter reset. changed_xid is the
--   transaction that last changed a total: the suite keeps the snapshot of its
--   previous read as its cursor and reads only the totals written by transactions
--   that snapshot did not see (begun after it, or running then: two ranges of
--   wisp_usage_changed_idx), the logins active since instead of the whole history.
-- * the indexes the suite's queries need (open sessions by login, the purge).
-- * wisp_purge_accounting(keep_days): deletes the closed sessions older than that;
--   run it from cron on the RADIUS host, e.g. nightly:
--       psql -d radius -c "SELECT wisp_purge_accounting(90)"
--
-- The wisp_network adapter works without this file (it then sums all of radacct on
-- every read, and a purge would look like a counter reset).

CREATE TABLE IF NOT EXISTS wisp_usage (
	username		text PRIMARY KEY,
	upload_bytes		bigint NOT NULL DEFAULT 0,	-- AcctInputOctets: received from the subscriber
	download_bytes		bigint NOT NULL DEFAULT 0,	-- AcctOutputOctets: sent to the subscriber
	changed_xid		xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX IF NOT EXISTS wisp_usage_changed_idx ON wisp_usage (changed_xid);

-- Open sessions of a login (session kicks); radacct_active_session_idx is by unique id.
CREATE INDEX IF NOT EXISTS wisp_radacct_open_user_idx ON radacct (username) WHERE acctstoptime IS NULL;
-- Closed sessions by age (wisp_purge_accounting).
CREATE INDEX IF NOT EXISTS wisp_radacct_stop_idx ON radacct (acctstoptime) WHERE acctstoptime IS NOT NULL;

-- Folds one radacct write into wisp_usage (by the row's username, which FreeRADIUS's
-- queries never change). Deltas are signed: an interim update that
-- arrives late (lower counters) and the next one cancel out, so a total always equals
-- the bytes of its rows plus the bytes of its purged rows.
CREATE OR REPLACE FUNCTION wisp_radacct_fold() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
	up bigint := COALESCE(NEW.acctinputoctets, 0);
	down bigint := COALESCE(NEW.acctoutputoctets, 0);
BEGIN
	IF NEW.username IS NULL OR NEW.username = '' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' THEN
		up := up - COALESCE(OLD.acctinputoctets, 0);
		down := down - COALESCE(OLD.acctoutputoctets, 0);
	END IF;
	IF up = 0 AND down = 0 THEN
		-- a Start: a new login gets its (empty) total, a known one is not rewritten
		IF TG_OP = 'INSERT' THEN
			INSERT INTO wisp_usage (username) VALUES (NEW.username)
			ON CONFLICT (username) DO NOTHING;
		END IF;
		RETURN NULL;
	END IF;
	INSERT INTO wisp_usage AS usage (username, upload_bytes, download_bytes)
	VALUES (NEW.username, up, down)
	ON CONFLICT (username) DO UPDATE
	SET upload_bytes = usage.upload_bytes + EXCLUDED.upload_bytes,
	    download_bytes = usage.download_bytes + EXCLUDED.download_bytes,
	    changed_xid = pg_current_xact_id();
	RETURN NULL;
END
$$;

-- The seed and the trigger in one transaction: no accounting write falls between.
BEGIN;
LOCK TABLE radacct IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO wisp_usage (username, upload_bytes, download_bytes)
SELECT username, COALESCE(SUM(acctinputoctets), 0), COALESCE(SUM(acctoutputoctets), 0)
  FROM radacct
 WHERE username IS NOT NULL AND username <> ''
   AND NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgname = 'wisp_radacct_fold' AND tgrelid = 'radacct'::regclass)
 GROUP BY username
ON CONFLICT (username) DO NOTHING;
DROP TRIGGER IF EXISTS wisp_radacct_fold ON radacct;
CREATE TRIGGER wisp_radacct_fold
	AFTER INSERT OR UPDATE OF acctinputoctets, acctoutputoctets ON radacct
	FOR EACH ROW EXECUTE FUNCTION wisp_radacct_fold();
COMMIT;

-- Deletes closed sessions that stopped more than keep_days ago; returns how many.
-- wisp_usage keeps their bytes. Open sessions are never purged.
CREATE OR REPLACE FUNCTION wisp_purge_accounting(keep_days integer) RETURNS bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
	purged bigint;
BEGIN
	IF keep_days IS NULL OR keep_days < 1 THEN
		RAISE EXCEPTION 'wisp_purge_accounting: keep_days must be at least 1, got %', keep_days;
	END IF;
	DELETE FROM radacct
	 WHERE acctstoptime IS NOT NULL
	   AND acctstoptime < now() - make_interval(days => keep_days);
	GET DIAGNOSTICS purged = ROW_COUNT;
	RETURN purged;
END
$$;
