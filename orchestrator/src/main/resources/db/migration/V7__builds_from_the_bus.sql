-- Builds requested elsewhere than this API (straight on fleet.build-requests, as the sandbox's demo build is) are
-- recorded from the build worker's first event about them; until their release is published nothing says their
-- version or source, so those columns may be empty. Forward-compatible: older instances only ever write them.
alter table build alter column version drop not null;
alter table build alter column source_kind drop not null;
alter table build alter column source_location drop not null;
