-- plumb unified schema, version 1.
--
-- Conventions
-- * Every entity row carries provenance: source (instance name), source_kind, external_id,
--   url, synced_at, origin ('api' or 'manual'), and UNIQUE (source, external_id) so that every
--   write is an idempotent upsert.
-- * Timestamps are INTEGER seconds since the Unix epoch, UTC. Day and week boundaries are
--   applied by the metrics in each team's time zone, never in SQL.
-- * Teams and services are referenced by name (TEXT): ownership comes from config and may
--   change without rewriting history. Child rows reference their parent by id with a foreign key.
-- * Lists (labels) are stored as JSON arrays of strings.
-- * Enumerations of three or more values are checked with `=` ... `OR`, not `IN (...)`:
--   SQLite evaluates such an IN list through a temporary B-tree on every row written, which
--   cost a fifth of the time of a bulk import.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    display_name  TEXT,
    timezone      TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX teams_name ON teams (name);

CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    team          TEXT,
    tier          TEXT,
    repo          TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX services_name ON services (name);
CREATE INDEX services_team ON services (team);

CREATE TABLE repos (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    team          TEXT,
    service       TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;

-- A deployment of one service to one environment. kind marks rollbacks and hotfixes, which
-- count as failures (change failure rate) and as rework (deployment rework rate).
CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY,
    service       TEXT NOT NULL,
    team          TEXT,
    environment   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('success', 'failure')),
    kind          TEXT NOT NULL DEFAULT 'regular' CHECK (kind = 'regular' OR kind = 'rollback' OR kind = 'hotfix'),
    started_at    INTEGER,
    finished_at   INTEGER NOT NULL,
    commit_sha    TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX deployments_service_env_finished ON deployments (service, environment, finished_at);
CREATE INDEX deployments_team_finished ON deployments (team, finished_at);
CREATE INDEX deployments_finished ON deployments (finished_at);

-- A change: a pull request or merge request.
CREATE TABLE changes (
    id              INTEGER PRIMARY KEY,
    repo            TEXT NOT NULL,
    service         TEXT,
    team            TEXT,
    title           TEXT,
    author          TEXT,
    state           TEXT NOT NULL DEFAULT 'merged' CHECK (state = 'open' OR state = 'merged' OR state = 'closed'),
    merge_sha       TEXT,
    first_commit_at INTEGER,
    opened_at       INTEGER,
    first_review_at INTEGER,
    merged_at       INTEGER,
    additions       INTEGER,
    deletions       INTEGER,
    labels          TEXT NOT NULL DEFAULT '[]',
    source          TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    url             TEXT,
    synced_at       INTEGER NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX changes_service_merged ON changes (service, merged_at);
CREATE INDEX changes_team_merged ON changes (team, merged_at);
CREATE INDEX changes_merge_sha ON changes (merge_sha);

-- Which changes each deployment shipped.
CREATE TABLE deployment_changes (
    id            INTEGER PRIMARY KEY,
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    change_id     INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id),
    UNIQUE (deployment_id, change_id)
) STRICT;
CREATE INDEX deployment_changes_change ON deployment_changes (change_id);

CREATE TABLE pipeline_runs (
    id            INTEGER PRIMARY KEY,
    repo          TEXT NOT NULL,
    service       TEXT,
    team          TEXT,
    workflow      TEXT NOT NULL,
    branch        TEXT,
    commit_sha    TEXT,
    event         TEXT,
    status        TEXT NOT NULL DEFAULT 'completed' CHECK (status = 'queued' OR status = 'in_progress' OR status = 'completed'),
    conclusion    TEXT CHECK (conclusion = 'success' OR conclusion = 'failure' OR conclusion = 'cancelled' OR conclusion = 'skipped' OR conclusion = 'timed_out'),
    attempt       INTEGER NOT NULL DEFAULT 1,
    queued_at     INTEGER,
    started_at    INTEGER,
    finished_at   INTEGER,
    tests_passed  INTEGER,
    tests_failed  INTEGER,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX pipeline_runs_team_finished ON pipeline_runs (team, finished_at);
CREATE INDEX pipeline_runs_finished ON pipeline_runs (finished_at);
CREATE INDEX pipeline_runs_workflow ON pipeline_runs (repo, workflow, commit_sha);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    pipeline_run_id INTEGER NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'completed' CHECK (status = 'queued' OR status = 'in_progress' OR status = 'completed'),
    conclusion      TEXT CHECK (conclusion = 'success' OR conclusion = 'failure' OR conclusion = 'cancelled' OR conclusion = 'skipped' OR conclusion = 'timed_out'),
    attempt         INTEGER NOT NULL DEFAULT 1,
    started_at      INTEGER,
    finished_at     INTEGER,
    source          TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    url             TEXT,
    synced_at       INTEGER NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX jobs_run ON jobs (pipeline_run_id);

-- severity is normalised (SEV1..SEV5); severity_original keeps the source's own value.
-- deployment_id is an explicit attribution (from a postmortem or an import); when NULL the
-- metrics attribute by service and window.
CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,
    service           TEXT,
    team              TEXT,
    severity          TEXT NOT NULL CHECK (severity = 'SEV1' OR severity = 'SEV2' OR severity = 'SEV3' OR severity = 'SEV4' OR severity = 'SEV5'),
    severity_original TEXT NOT NULL,
    title             TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'resolved' CHECK (status = 'triggered' OR status = 'acknowledged' OR status = 'resolved'),
    created_at        INTEGER NOT NULL,
    acknowledged_at   INTEGER,
    resolved_at       INTEGER,
    resolved_by       TEXT CHECK (resolved_by IN ('human', 'auto')),
    deployment_id     INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    url               TEXT,
    synced_at         INTEGER NOT NULL,
    origin            TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX incidents_service_created ON incidents (service, created_at);
CREATE INDEX incidents_team_created ON incidents (team, created_at);
CREATE INDEX incidents_created ON incidents (created_at);

CREATE TABLE incident_events (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind = 'trigger' OR kind = 'acknowledge' OR kind = 'escalate' OR kind = 'assign' OR kind = 'note' OR kind = 'resolve'),
    actor         TEXT,
    detail        TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    monitor         TEXT NOT NULL,
    service         TEXT,
    team            TEXT,
    severity        TEXT,
    title           TEXT,
    triggered_at    INTEGER NOT NULL,
    acknowledged_at INTEGER,
    resolved_at     INTEGER,
    resolved_by     TEXT CHECK (resolved_by = 'human' OR resolved_by = 'auto' OR resolved_by = 'timeout'),
    incident_id     INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    source          TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    url             TEXT,
    synced_at       INTEGER NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX alerts_service_triggered ON alerts (service, triggered_at);
CREATE INDEX alerts_monitor ON alerts (monitor, triggered_at);

-- window_kind 'rolling' uses window_days; 'calendar' uses calendar_period.
CREATE TABLE slos (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    service           TEXT,
    team              TEXT,
    description       TEXT,
    target            REAL NOT NULL CHECK (target > 0 AND target < 1),
    window_kind       TEXT NOT NULL DEFAULT 'rolling' CHECK (window_kind IN ('rolling', 'calendar')),
    window_days       INTEGER NOT NULL DEFAULT 30 CHECK (window_days > 0),
    calendar_period   TEXT CHECK (calendar_period = 'week' OR calendar_period = 'month' OR calendar_period = 'quarter'),
    budgeting_method  TEXT NOT NULL DEFAULT 'occurrences' CHECK (budgeting_method = 'occurrences' OR budgeting_method = 'timeslices' OR budgeting_method = 'ratio_timeslices'),
    timeslice_seconds INTEGER,
    timeslice_target  REAL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    url               TEXT,
    synced_at         INTEGER NOT NULL,
    origin            TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX slos_service ON slos (service);

-- Good and total event counts per time bucket: counts, never only ratios.
CREATE TABLE slo_samples (
    id             INTEGER PRIMARY KEY,
    slo_id         INTEGER NOT NULL REFERENCES slos (id) ON DELETE CASCADE,
    bucket_start   INTEGER NOT NULL,
    bucket_seconds INTEGER NOT NULL CHECK (bucket_seconds > 0),
    good           REAL NOT NULL CHECK (good >= 0),
    total          REAL NOT NULL CHECK (total >= 0),
    source         TEXT NOT NULL,
    source_kind    TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    url            TEXT,
    synced_at      INTEGER NOT NULL,
    origin         TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE UNIQUE INDEX slo_samples_slo_bucket ON slo_samples (slo_id, bucket_start);

-- Postmortem follow-ups. category follows Lueder and Beyer (SREcon17).
CREATE TABLE action_items (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    title         TEXT NOT NULL,
    category      TEXT CHECK (category = 'investigate' OR category = 'mitigate' OR category = 'repair' OR category = 'detect' OR category = 'prevent'),
    team          TEXT,
    owner         TEXT,
    priority      TEXT,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status = 'open' OR status = 'in_progress' OR status = 'done' OR status = 'wont_do'),
    ticket_key    TEXT,
    created_at    INTEGER NOT NULL,
    due_at        INTEGER,
    completed_at  INTEGER,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX action_items_incident ON action_items (incident_id);
CREATE INDEX action_items_team_status ON action_items (team, status, due_at);

CREATE TABLE sprints (
    id            INTEGER PRIMARY KEY,
    board         TEXT NOT NULL,
    team          TEXT,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'closed' CHECK (state = 'future' OR state = 'active' OR state = 'closed'),
    start_at      INTEGER NOT NULL,
    end_at        INTEGER NOT NULL,
    completed_at  INTEGER,
    goal          TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX sprints_team_start ON sprints (team, start_at);

CREATE TABLE milestones (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    team          TEXT,
    description   TEXT,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status = 'open' OR status = 'done' OR status = 'cancelled'),
    start_at      INTEGER,
    due_at        INTEGER,
    completed_at  INTEGER,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;

-- Jira-style work items. category drives the work mix (feature, reliability, debt, support).
CREATE TABLE work_items (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL,
    title           TEXT,
    item_type       TEXT NOT NULL,
    category        TEXT CHECK (category = 'feature' OR category = 'reliability' OR category = 'debt' OR category = 'support'),
    status          TEXT NOT NULL,
    status_category TEXT NOT NULL CHECK (status_category = 'todo' OR status_category = 'in_progress' OR status_category = 'done'),
    team            TEXT,
    sprint_id       INTEGER REFERENCES sprints (id) ON DELETE SET NULL,
    milestone_id    INTEGER REFERENCES milestones (id) ON DELETE SET NULL,
    epic            TEXT,
    points          REAL,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    resolved_at     INTEGER,
    due_at          INTEGER,
    labels          TEXT NOT NULL DEFAULT '[]',
    source          TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    url             TEXT,
    synced_at       INTEGER NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX work_items_sprint ON work_items (sprint_id);
CREATE INDEX work_items_team_resolved ON work_items (team, resolved_at);
CREATE INDEX work_items_milestone ON work_items (milestone_id);

-- Sprint membership over time, so carry-over and scope added after the start are visible.
CREATE TABLE sprint_items (
    id            INTEGER PRIMARY KEY,
    sprint_id     INTEGER NOT NULL REFERENCES sprints (id) ON DELETE CASCADE,
    work_item_id  INTEGER NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
    added_at      INTEGER,
    removed_at    INTEGER,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id),
    UNIQUE (sprint_id, work_item_id)
) STRICT;
CREATE INDEX sprint_items_item ON sprint_items (work_item_id);

-- Status history of work items (from changelogs), for cycle time.
CREATE TABLE work_item_transitions (
    id            INTEGER PRIMARY KEY,
    work_item_id  INTEGER NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX work_item_transitions_item ON work_item_transitions (work_item_id, at);

CREATE TABLE objectives (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    team          TEXT,
    period        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status = 'draft' OR status = 'active' OR status = 'done' OR status = 'dropped'),
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;

-- A key result may be bound to a plumb metric (metric = a metric id such as
-- 'dora.deployment_frequency'); then its progress is computed live instead of typed in.
CREATE TABLE key_results (
    id            INTEGER PRIMARY KEY,
    objective_id  INTEGER NOT NULL REFERENCES objectives (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    metric        TEXT,
    unit          TEXT,
    baseline      REAL,
    target        REAL NOT NULL,
    current       REAL,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX key_results_objective ON key_results (objective_id);

CREATE TABLE support_tickets (
    id            INTEGER PRIMARY KEY,
    title         TEXT,
    service       TEXT,
    team          TEXT,
    priority      TEXT,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status = 'open' OR status = 'pending' OR status = 'solved' OR status = 'closed'),
    created_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    labels        TEXT NOT NULL DEFAULT '[]',
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX support_tickets_team_created ON support_tickets (team, created_at);

-- cost_source: 'finance' (reported spend) or 'estimate' (engineering's own estimate).
CREATE TABLE costs (
    id            INTEGER PRIMARY KEY,
    period_start  INTEGER NOT NULL,
    period_end    INTEGER NOT NULL,
    team          TEXT,
    service       TEXT,
    category      TEXT,
    amount        REAL NOT NULL,
    currency      TEXT NOT NULL DEFAULT 'USD',
    cost_source   TEXT NOT NULL CHECK (cost_source IN ('finance', 'estimate')),
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX costs_team_period ON costs (team, period_start);

-- A decision log shown as markers on charts.
CREATE TABLE annotations (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    team          TEXT,
    service       TEXT,
    metric        TEXT,
    title         TEXT NOT NULL,
    body          TEXT,
    source        TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    url           TEXT,
    synced_at     INTEGER NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('api', 'manual')),
    UNIQUE (source, external_id)
) STRICT;

-- Every metric definition plumb has used, with its parameters; results carry the version.
CREATE TABLE metric_definitions (
    id          INTEGER PRIMARY KEY,
    metric      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    parameters  TEXT NOT NULL,
    valid_from  INTEGER NOT NULL,
    lifecycle   TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle = 'active' OR lifecycle = 'deprecated' OR lifecycle = 'retired'),
    reason      TEXT,
    UNIQUE (metric, version)
) STRICT;

-- One cursor per (source instance, resource) for incremental sync.
CREATE TABLE sync_state (
    source        TEXT NOT NULL,
    resource      TEXT NOT NULL,
    cursor        TEXT,
    etag          TEXT,
    last_ok_at    INTEGER,
    last_error    TEXT,
    last_error_at INTEGER,
    PRIMARY KEY (source, resource)
) STRICT;
