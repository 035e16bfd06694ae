-- Enrolment: a machine takes part in the fleet only once admitted (ACCEPTED), by an enrolment token or an operator.
-- Machines registered before enrolment existed have no key: the first key they register with is taken, and they wait
-- in PENDING for an operator like any new machine.
alter table machine add column enrolment text not null default 'PENDING';   -- PENDING ACCEPTED REJECTED REVOKED DECOMMISSIONED
alter table machine add column public_key text;                             -- enrolled Ed25519 key, base64 X.509
alter table machine add column key_id text;                                 -- its fingerprint, ed25519:<hex>
alter table machine add column offered_public_key text;                     -- another key it presented: awaits a re-key
alter table machine add column granted_labels text;                         -- JSON: labels (ring) its token granted
alter table machine add column admitted_at timestamptz;
alter table machine add column admitted_by text;
create index machine_enrolment_idx on machine (enrolment);

create table enrolment_token (
    id            text primary key,
    secret_sha256 text        not null,  -- hex SHA-256 of the secret; the secret itself is shown once and never stored
    expires_at    timestamptz not null,
    max_uses      integer     not null,
    uses          integer     not null default 0,
    ring          text,
    labels        text        not null default '{}', -- JSON object granted to machines it admits
    created_by    text        not null,
    created_at    timestamptz not null,
    revoked_at    timestamptz
);

-- A command the relay did not publish because its machine is not admitted (any more): marked sent, and why not.
alter table outbox add column withheld text;
