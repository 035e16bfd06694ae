-- Issue #13: the machine list's search box finds its text anywhere in a machine's id or hostname (ilike '%text%').
-- Without an index that is a scan of the whole table, about a second at a million machines; trigram indexes answer it
-- from the index for a text of three characters or more. pg_trgm is a trusted extension (PostgreSQL 13+): the
-- database's owner may create it, as CloudNativePG's application user is.
create extension if not exists pg_trgm;
create index machine_id_trgm_idx on machine using gin (id gin_trgm_ops);
create index machine_hostname_trgm_idx on machine using gin (hostname gin_trgm_ops);
