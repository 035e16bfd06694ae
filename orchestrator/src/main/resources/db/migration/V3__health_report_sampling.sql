-- Health history keeps changes, not every heartbeat: 100,000 machines heartbeating every minute would otherwise add
-- 144 million rows a day. A report is written when the health differs from the machine's last one, and at least once
-- per fleet.health-sample-every while it stays the same.
alter table machine add column health_reported_at timestamptz;
