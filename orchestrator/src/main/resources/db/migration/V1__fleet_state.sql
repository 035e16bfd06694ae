-- Fleet state of the orchestrator. Reported state (what agents say) and decided state (rollouts) live side by side:
-- a machine's current_system_path is what it reports running, whatever a rollout expected.

create table release (
    id                 text primary key,
    build_id           text        not null,
    version            text        not null,
    sha256             text        not null,
    size_bytes         bigint      not null,
    download_url       text        not null,
    manifest           text        not null,
    signature          text        not null,
    key_id             text        not null,
    nixos_version      text,
    host_name          text,
    system_path        text        not null,
    generation         integer     not null,
    nixos_wsl_version  text,
    uncompressed_bytes bigint      not null,
    entry_count        bigint      not null,
    published_at       timestamptz not null
);
create index release_system_path_idx on release (system_path);

create table build (
    id              text primary key,
    version         text        not null,
    source_kind     text        not null,
    source_location text        not null,
    state           text        not null,
    step            text,
    bytes_done      bigint      not null default 0,
    bytes_total     bigint      not null default 0,
    failure_reason  text,
    failure_detail  text,
    release_id      text,
    requested_by    text,
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);

create table machine (
    id                  text primary key,          -- agent id: <machine id>/<windows user>
    machine_id          text        not null,
    windows_user        text        not null,
    hostname            text,
    windows_build       text,
    wsl_version         text,
    kernel_version      text,
    agent_version       text,
    free_disk_bytes     bigint,
    ring                text,
    labels              text        not null default '{}', -- JSON object
    distro_name         text,
    distro_state        text,
    health_state        text        not null default 'unknown',
    failed_units        text,
    current_generation  integer,
    current_system_path text,
    current_release_id  text,
    inventory           text,                      -- last inventory, JSON
    last_sequence       bigint      not null default 0,
    registered_at       timestamptz not null,
    last_seen_at        timestamptz not null,
    health_checked_at   timestamptz
);
create index machine_health_idx on machine (health_state);
create index machine_release_idx on machine (current_release_id);
create index machine_ring_idx on machine (ring);
create index machine_last_seen_idx on machine (last_seen_at);

create table health_report (
    id          bigserial primary key,
    machine_id  text        not null references machine (id) on delete cascade,
    reported_at timestamptz not null,
    state       text        not null,
    generation  integer,
    system_path text,
    failed_units text
);
create index health_report_machine_idx on health_report (machine_id, reported_at desc);

create table rollout (
    id                bigserial primary key,
    name              text        not null,
    release_id        text        not null references release (id),
    state             text        not null,
    target            text        not null,        -- JSON: the filter machines are chosen by
    plan              text        not null,        -- JSON: canary and waves with thresholds
    current_wave      integer     not null default 0,
    wave_started_at   timestamptz,
    soak_until        timestamptz,
    deadline_seconds  integer     not null,
    auto_rollback     boolean     not null,
    upgrade_mode      text        not null,
    backup_first      boolean     not null,
    created_by        text        not null,
    created_at        timestamptz not null,
    started_at        timestamptz,
    finished_at       timestamptz,
    halt_reason       text,
    version           bigint      not null default 0
);
create index rollout_state_idx on rollout (state);

create table deployment (
    id                    bigserial primary key,
    rollout_id            bigint      not null references rollout (id) on delete cascade,
    machine_id            text        not null references machine (id),
    wave                  integer     not null,
    state                 text        not null,
    command_id            text,
    rollback_command_id   text,
    previous_generation   integer,
    previous_system_path  text,
    reported_system_path  text,
    reason                text,
    message               text,
    failed_units          text,
    log_tail              text,
    commanded_at          timestamptz,
    deadline_at           timestamptz,
    finished_at           timestamptz,
    updated_at            timestamptz not null,
    unique (rollout_id, machine_id)
);
create index deployment_rollout_wave_idx on deployment (rollout_id, wave, state);
create index deployment_command_idx on deployment (command_id);
create index deployment_rollback_command_idx on deployment (rollback_command_id);

-- Transactional outbox: a state change and the events it causes commit together; the relay publishes and marks them.
create table outbox (
    id          bigserial primary key,
    topic       text        not null,
    msg_key     text        not null,
    event_id    text        not null unique,
    headers     text        not null,              -- JSON object of the ce_* headers
    payload     bytea       not null,
    created_at  timestamptz not null,
    sent_at     timestamptz
);
create index outbox_unsent_idx on outbox (id) where sent_at is null;

-- Consumed-event log: every consumer is idempotent by CloudEvents id.
create table processed_event (
    event_id     text primary key,
    consumer     text        not null,
    processed_at timestamptz not null
);

create table audit_log (
    id          bigserial primary key,
    at          timestamptz not null,
    actor       text        not null,
    action      text        not null,
    entity      text        not null,
    entity_id   text        not null,
    before      text,
    after       text
);
create index audit_log_entity_idx on audit_log (entity, entity_id);
