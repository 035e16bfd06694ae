-- Issue #13: the outbox and the processed-event log stop growing. bus.TableRetention deletes published outbox rows
-- after fleet.outbox.keep-sent and processed-event rows past the producers' retry horizon (the contract's max-past +
-- max-future); these indexes let it find them without scanning the tables.
create index outbox_sent_idx on outbox (sent_at) where sent_at is not null;
create index processed_event_processed_at_idx on processed_event (processed_at);
