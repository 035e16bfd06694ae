-- Maintenance windows, approvals and a cap on concurrent downloads, per rollout.
alter table rollout add column maintenance_window text;                   -- JSON of MaintenanceWindow, null: always open
alter table rollout add column approval_required boolean not null default false;
alter table rollout add column approved_wave integer not null default -1; -- the highest wave an operator approved
alter table rollout add column max_concurrent integer;                    -- null: no cap
alter table rollout add column waiting_for text;                          -- why nothing is dispatched right now
