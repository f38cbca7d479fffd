"""The provisioning outbox: a job is written in the business transaction, the
router I/O happens later, in the job runner, after that transaction committed.

Runner (``_cron_process_jobs``), one batch at a time:

1. **claim**: one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``
   marks due jobs ``running`` (attempts + 1, ``claimed_at``) and is committed,
   so concurrent runners never take the same job and no row lock is held
   during router I/O. A ``running`` job whose claim is older than the lease
   (the server died mid-job) is claimed again: jobs are idempotent.
2. **I/O** per router, outside any transaction that could roll it back: the
   desired state is computed from the committed data *now* (a job says "sync
   this service", not what to write), and one ``apply`` covers every service
   of the batch. The adapter diffs, so a repeated job writes nothing.
3. **record** the outcome and commit: done, or pending again with exponential
   backoff for a transient error, or failed (after the configured number of
   attempts, or at once for a refusal) with an activity for the network team.
4. **kick** the sessions whose speed or status changed, once every router of
   the batch has applied: all routers at once (worker threads doing network
   I/O only) within ``KICK_DEADLINE``, so a NAS that does not answer holds up
   no other router; a failed kick stays as a ``disconnect`` job to retry.

A change that happens while a job runs queues a new job (only *pending* jobs
absorb new changes), so no change is ever lost; several pending jobs of one
service collapse into one sync.

Tests call ``_cron_process_jobs(commit=False)``: the same code path without
the intermediate commits, which a test transaction forbids.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import NETWORK, check_groups
from odoo.tools import SQL

from ..adapters.base import BackendError

_logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=15)
# Every session kick of a batch ends within this, well inside the lease; what is
# not answered by then is retried as a disconnect job.
KICK_DEADLINE = timedelta(minutes=2)
KICK_ROUTERS_AT_ONCE = 8
BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 3600
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_SECONDS = 30

JOB_KINDS = [
    ("sync", "Sync Service"),
    ("disconnect", "Disconnect Session"),
    ("reconcile", "Reconcile Router"),
]
JOB_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class WispNetworkJob(models.Model):
    _name = "wisp.network.job"
    _description = "Network Provisioning Job"
    _order = "id desc"

    service_id = fields.Many2one("wisp.service", index=True, ondelete="cascade", readonly=True)
    router_id = fields.Many2one(
        "wisp.router", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="router_id.company_id", store=True)
    kind = fields.Selection(JOB_KINDS, required=True, default="sync", readonly=True)
    state = fields.Selection(
        JOB_STATES, required=True, default="pending", readonly=True, index=True
    )
    kick_session = fields.Boolean(
        readonly=True, help="Disconnect the active session so a new speed or status applies now."
    )
    stale_login = fields.Char(
        readonly=True, help="A login the service no longer uses: removed from this router."
    )
    attempts = fields.Integer(default=0, readonly=True)
    next_try = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now, index=True
    )
    claimed_at = fields.Datetime(readonly=True)
    done_date = fields.Datetime(readonly=True)
    result = fields.Char(readonly=True)
    last_error = fields.Text(readonly=True)

    _due_idx = models.Index("(state, next_try) WHERE state IN ('pending', 'running')")

    @api.depends("kind", "service_id", "router_id")
    def _compute_display_name(self):
        kinds = dict(JOB_KINDS)
        for job in self:
            target = job.service_id.display_name or job.router_id.display_name
            job.display_name = f"{kinds[job.kind]} {target or ''}".strip()

    @api.model
    def _wisp_jobs_action(self):
        """The Provisioning Jobs menu (a server action): no job says "every router is in
        sync" only when some router of the user's companies is provisioned; otherwise
        that nothing is."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wisp_network.wisp_network_job_action"
        )
        # a yes/no about the routers, for staff who may not read them
        enabled = (
            self.env["wisp.router"]
            .sudo()
            .search_count(
                [
                    ("provisioning_enabled", "=", True),
                    ("company_id", "in", self.env.companies.ids),
                ],
                limit=1,
            )
        )
        if not enabled:
            action["help"] = Markup("<p class='o_view_nocontent_empty_folder'>%s</p><p>%s</p>") % (
                self.env._("No router has provisioning enabled"),
                self.env._(
                    "Nothing is written to any router: enable provisioning on a router "
                    "(Network > Routers) once its address and credentials are set."
                ),
            )
        return action

    # -------------------------------------------------------------------------
    # Enqueue (inside the business transaction)
    # -------------------------------------------------------------------------
    @api.model
    def _enqueue(self, vals_list):
        """Queue jobs, folding each into a pending job of the same target if any.

        Only routers with provisioning enabled get jobs. The job cron is
        triggered so the change reaches the router within seconds of the commit.
        """
        Router = self.env["wisp.router"].sudo()
        vals_list = [
            vals for vals in vals_list if Router.browse(vals["router_id"]).provisioning_enabled
        ]
        if not vals_list:
            return self.browse()
        pending = self.sudo().search(
            [
                ("state", "=", "pending"),
                ("router_id", "in", [vals["router_id"] for vals in vals_list]),
            ]
        )
        by_target = {(job.kind, job.router_id.id, job.service_id.id): job for job in pending}
        jobs, to_create = self.browse(), []
        now = fields.Datetime.now()
        for vals in vals_list:
            key = (vals.get("kind", "sync"), vals["router_id"], vals.get("service_id") or False)
            job = by_target.get(key)
            if job and not (vals.get("stale_login") and job.stale_login):
                # A new change deserves a try now, even if the job was backing off.
                update = {"next_try": now}
                if vals.get("kick_session"):
                    update["kick_session"] = True
                if vals.get("stale_login"):
                    update["stale_login"] = vals["stale_login"]
                job.write(update)
                jobs |= job
            else:
                to_create.append(vals)
        created = self.sudo().create(to_create)
        self.env.ref("wisp_network.ir_cron_wisp_network_jobs").sudo()._trigger()
        return (jobs | created).sudo()

    # -------------------------------------------------------------------------
    # Runner
    # -------------------------------------------------------------------------
    @api.model
    def _cron_process_jobs(self, commit=True, batch_size=BATCH_SIZE):
        """Run due jobs until none is left (or the cron's time is up).

        ``commit=False`` runs everything in the caller's transaction (tests).
        Returns the number of jobs processed.
        """
        processed = 0
        while True:
            jobs = self._claim(batch_size)
            if not jobs:
                return processed
            if commit:
                self.env["ir.cron"]._commit_progress()
            kicks, time_is_up = [], False
            try:
                for router, router_jobs in jobs.grouped("router_id").items():
                    kicks.append(router_jobs._run_on_isolated(router))
                    processed += len(router_jobs)
                    if commit and not self.env["ir.cron"]._commit_progress(len(router_jobs)):
                        time_is_up = True
                        break
            finally:
                # the sessions of the whole batch, every router at once
                self._kick_routers([kick for kick in kicks if kick])
            if commit:
                self.env["ir.cron"]._commit_progress()
            if time_is_up:
                return processed

    @api.model
    def _claim(self, limit):
        """Mark up to ``limit`` due jobs running and return them (see module doc)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                UPDATE wisp_network_job SET state = 'running', claimed_at = %(now)s,
                       attempts = COALESCE(attempts, 0) + 1
                 WHERE id IN (
                     SELECT job.id FROM wisp_network_job job
                       JOIN wisp_router router ON router.id = job.router_id
                      WHERE router.provisioning_enabled
                        AND ((job.state = 'pending' AND job.next_try <= %(now)s)
                             OR (job.state = 'running' AND job.claimed_at < %(stale)s))
                      ORDER BY job.next_try, job.id
                      LIMIT %(limit)s
                        FOR UPDATE OF job SKIP LOCKED)
                RETURNING id
                """,
                now=now,
                stale=now - CLAIM_LEASE,
                limit=limit,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_model(["state", "claimed_at", "attempts"])
        return self.sudo().browse(sorted(ids))

    def _run_on_isolated(self, router):
        """``_run_on`` in a savepoint: an unexpected error (a bug, a database conflict)
        rolls back this router's work only and counts as a failed attempt, so the jobs
        back off and finally give up and notify instead of staying claimed."""
        try:
            with self.env.cr.savepoint():
                return self._run_on(router)
        except Exception as exc:
            _logger.exception("network jobs of router %s stopped by an error", router.id)
            self._failed(BackendError(self.env._("unexpected error: %s", exc)))
            return None

    def _run_on(self, router):
        """Do the router I/O of these claimed jobs (one router) and record it.

        Returns the sessions still to kick (a :class:`_Kicks` holding the open
        backend), or None: the runner kicks the whole batch's sessions at once,
        after every router's apply, so a NAS that does not answer delays no
        other router's jobs.
        """
        backend = kicks = None
        try:
            backend = router.sudo()._get_backend()
            reconciles = self.filtered(lambda j: j.kind == "reconcile")
            if reconciles:
                # One full reconcile covers every service's configuration: the other jobs
                # ride along, but sessions to drop are still dropped.
                report = router._reconcile(backend)
                kicking = self.filtered(lambda j: j.kind == "disconnect" or j.kick_session)
                (self - kicking.filtered(lambda j: j.kind == "disconnect"))._done(
                    self.env._("reconciled: %s", _report_text(report))
                )
                changed = set(report.created) | set(report.updated) | set(report.removed)
                plan = kicking._kick_plan(backend, changed)
            else:
                plan = self._sync(router, backend)
            router._record_contact(synced=True)
            if plan:
                kicks = _Kicks(router, backend, plan)
        except BackendError as exc:
            self.filtered(lambda j: j.state == "running")._failed(exc)
            router._record_contact(exc)
        finally:
            if backend is not None and kicks is None:
                backend.close()
        return kicks

    def _sync(self, router, backend):
        """Sync the services of these jobs with one ``apply``; returns the kick plan."""
        primary = self._coalesce()
        syncs = primary.filtered(lambda j: j.kind == "sync")
        changed = set()
        if syncs:
            try:
                changed = syncs._apply(router, backend, stale_logins=self.mapped("stale_login"))
            except BackendError as exc:
                if exc.transient or len(syncs) == 1:
                    raise
                # A refusal (e.g. a hand-made entry holding a login) concerns
                # one login: isolate it so the other services still converge.
                plan = (primary - syncs)._kick_plan(backend, changed)
                for job in syncs:
                    plan += job._run_alone(router, backend)
                return plan
        return (syncs.filtered("kick_session") | (primary - syncs))._kick_plan(backend, changed)

    def _run_alone(self, router, backend):
        try:
            changed = self._apply(router, backend, stale_logins=[self.stale_login])
        except BackendError as exc:
            self._failed(exc)
            return []
        return self.filtered("kick_session")._kick_plan(backend, changed)

    def _apply(self, router, backend, stale_logins):
        """One scoped apply; marks the jobs done and returns the logins changed.

        The scope is the jobs' logins plus the logins their services dropped;
        the desired set is every service of this router holding one of them,
        so a login freed by one service and taken by another stays provisioned.
        """
        Service = self.env["wisp.service"].sudo()
        scope = {login for login in self.service_id.sudo().mapped("network_login") if login}
        scope |= {login for login in stale_logins if login}
        holders = Service.search(
            [("router_id", "=", router.id), ("network_login", "in", list(scope))]
        )
        states = holders._network_states()
        report = backend.apply([state for state in states.values() if state], logins=scope)
        self._done(_report_text(report))
        return set(report.created) | set(report.updated) | set(report.removed)

    def _coalesce(self):
        """Keep one job per service; the others are done, merged into it."""
        primary = self.browse()
        for jobs in self.grouped(lambda j: j.service_id or j).values():
            keep = jobs.filtered(lambda j: j.kind == "sync")[:1] or jobs[:1]
            merged = jobs - keep
            if merged:
                if not keep.kick_session and (
                    any(merged.mapped("kick_session")) or "disconnect" in merged.mapped("kind")
                ):
                    keep.kick_session = True
                merged._done(self.env._("merged into job %s", keep.id))
            primary |= keep
        return primary

    def _kick_plan(self, backend, changed_logins):
        """``[(job, logins)]``: the sessions these jobs must drop.

        Explicit disconnect jobs drop their service's sessions. For the others, a
        backend that kicks by itself (RouterOS) has nothing left to do; the others
        (RADIUS) drop the sessions of the logins their apply changed.
        """
        plan = []
        for job in self:
            logins = {job.service_id.sudo().network_login, job.stale_login} - {False, None}
            if job.kind != "disconnect":
                if backend.kicks_on_apply:  # RADIUS only writes its tables: kick here
                    continue
                logins &= changed_logins
                if not logins:
                    continue
            plan.append((job, sorted(logins)))
        return plan

    @api.model
    def _kick_routers(self, kicks):
        """Drop the planned sessions of every router at once, then record the outcomes.

        Each router's backend kicks its logins (the RADIUS one to all its NAS at
        once) in a worker thread that does only network I/O, all within one
        deadline well inside the claim lease; the outcomes are written here, one
        router at a time. A failed kick leaves a ``disconnect`` job to retry: the
        router's configuration is already right, only the session must go.
        """
        if not kicks:
            return
        deadline = time.monotonic() + KICK_DEADLINE.total_seconds()

        def kick(item):
            logins = {login for _job, job_logins in item.plan for login in job_logins}
            return item.backend.disconnect_many(logins, deadline=deadline)

        try:
            with ThreadPoolExecutor(max_workers=min(len(kicks), KICK_ROUTERS_AT_ONCE)) as pool:
                futures = [(item, pool.submit(kick, item)) for item in kicks]
                for item, future in futures:
                    try:
                        results = future.result()
                    except BackendError as exc:  # e.g. the RADIUS database did not answer
                        results = exc
                    except Exception as exc:
                        _logger.exception("session kicks of router %s failed", item.router.id)
                        results = BackendError(self.env._("unexpected error: %s", exc))
                    item.record(self.env, results)
        finally:
            for item in kicks:
                item.backend.close()

    # -------------------------------------------------------------------------
    # Outcome
    # -------------------------------------------------------------------------
    def _done(self, result):
        self.write(
            {
                "state": "done",
                "result": result,
                "last_error": False,
                "done_date": fields.Datetime.now(),
                "claimed_at": False,
            }
        )

    def _failed(self, error):
        """Retry later with exponential backoff, or give up and tell the network team."""
        params = self.env["ir.config_parameter"].sudo()
        max_attempts = int(params.get_param("wisp_network.job_max_attempts", DEFAULT_MAX_ATTEMPTS))
        base = int(params.get_param("wisp_network.job_backoff_seconds", DEFAULT_BACKOFF_SECONDS))
        now = fields.Datetime.now()
        message = str(error)
        for job in self:
            if error.transient and job.attempts < max_attempts:
                delay = min(base * 2 ** (job.attempts - 1), MAX_BACKOFF_SECONDS)
                job.write(
                    {
                        "state": "pending",
                        "next_try": now + timedelta(seconds=delay),
                        "last_error": message,
                        "claimed_at": False,
                    }
                )
            else:
                job.write({"state": "failed", "last_error": message, "claimed_at": False})
                job._notify_failure()
        _logger.warning("%s network job(s) not done: %s", len(self), message)

    def _notify_failure(self):
        self.ensure_one()
        user = self.router_id._network_responsible()
        target = self.service_id or self.router_id
        if not user:
            _logger.warning("network job %s failed and no network engineer exists", self.id)
            return
        target.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            summary=self.env._("Router sync failed: %(router)s", router=self.router_id.name),
            note=self.env._(
                "Job %(job)s (%(kind)s) failed after %(attempts)s attempt(s): %(error)s",
                job=self.id,
                kind=dict(JOB_KINDS)[self.kind],
                attempts=self.attempts,
                error=self.last_error,
            ),
        )

    # -------------------------------------------------------------------------
    # Buttons
    # -------------------------------------------------------------------------
    def action_retry(self):
        """Put failed jobs back in the queue with a fresh attempt count."""
        check_groups(self.env, (NETWORK,))
        self.check_access("read")
        failed = self.filtered(lambda j: j.state == "failed")
        failed.sudo().write({"state": "pending", "attempts": 0, "next_try": fields.Datetime.now()})
        if failed:
            self.env.ref("wisp_network.ir_cron_wisp_network_jobs").sudo()._trigger()
        return True


class _Kicks:
    """One router's sessions to drop: the open backend and ``[(job, logins)]``."""

    def __init__(self, router, backend, plan):
        self.router = router
        self.backend = backend
        self.plan = plan

    def record(self, env, results):
        """Write each job's outcome; ``results`` maps a login to True (dropped),
        False (no session) or a BackendError, or is one BackendError for all."""
        try:
            with env.cr.savepoint():
                if isinstance(results, BackendError):
                    # one error for the whole router: one write and one log line
                    jobs = [job for job, _logins in self.plan]
                    failed = jobs[0].union(*jobs[1:])
                    failed.kind = "disconnect"
                    failed._failed(results)
                    return
                for job, logins in self.plan:
                    outcomes = [results.get(login) for login in logins]
                    error = next((o for o in outcomes if isinstance(o, BackendError)), None)
                    if error is not None:
                        job.kind = "disconnect"
                        job._failed(error)
                    elif job.kind == "disconnect":
                        dropped = any(outcomes)
                        job._done(env._("session dropped") if dropped else env._("no session"))
                    elif any(outcomes):
                        job.result = env._("%s; session dropped", job.result)
        except Exception:
            _logger.exception("session kicks of router %s not recorded", self.router.id)


def _report_text(report):
    if not report.changed:
        return "in sync, nothing written"
    return (
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.removed)} removed"
    )
