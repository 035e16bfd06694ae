-- Agent events are ordered by (epoch, sequence): the epoch is when the agent's state was created (epoch ms), so an
-- agent reinstalled on a fresh state, whose sequence starts again at 1, is heard again. 0: an agent before epochs.
alter table machine add column agent_epoch bigint not null default 0;
