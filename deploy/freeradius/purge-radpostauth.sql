-- Keep radpostauth bounded: rejected logins of the last 30 days are enough to
-- answer "why can't I log in". Run daily, e.g. from the freerad user's crontab:
--   15 3 * * *  psql "$WISP_RADIUS_DB" -q -f /etc/freeradius/3.0/wisp/purge-radpostauth.sql
-- Rows from before the suite's queries may hold passwords in "pass": the
-- UPDATE clears them once (a no-op afterwards).
DELETE FROM radpostauth WHERE authdate < now() - interval '30 days';
UPDATE radpostauth SET pass = NULL WHERE pass IS NOT NULL;
