-- Issue #13: the JSON held in text columns becomes jsonb, which the entities map to typed values
-- (@JdbcTypeCode(SqlTypes.JSON)) instead of parsing strings by hand. Every value was written by the wire format's mapper,
-- so each one casts; a blank one (never written, but cheap to allow for) becomes null, or {} where null is not allowed.
-- jsonb keeps neither whitespace nor key order: the code reads these values as records and maps, never as text.
-- Left as text: outbox.headers (the exact record to publish), audit_log before/after (words as often as JSON) and
-- release.manifest (the signed bytes).
alter table machine alter column labels drop default;
alter table machine alter column labels type jsonb using coalesce(nullif(btrim(labels), ''), '{}')::jsonb;
alter table machine alter column labels set default '{}';
alter table machine alter column granted_labels type jsonb using nullif(btrim(granted_labels), '')::jsonb;
alter table machine alter column inventory type jsonb using nullif(btrim(inventory), '')::jsonb;

alter table enrolment_token alter column labels drop default;
alter table enrolment_token alter column labels type jsonb using coalesce(nullif(btrim(labels), ''), '{}')::jsonb;
alter table enrolment_token alter column labels set default '{}';

alter table rollout alter column target type jsonb using target::jsonb;
alter table rollout alter column plan type jsonb using plan::jsonb;
alter table rollout alter column maintenance_window type jsonb using nullif(btrim(maintenance_window), '')::jsonb;
