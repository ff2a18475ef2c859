-- The SequenceNumber of the status callback that last changed a call's status
-- (Store::apply_call_status); NULL when that callback carried none.
ALTER TABLE call_logs ADD COLUMN status_sequence INTEGER;
-- call_log_counts: reminder calls by outcome come from this index. Status has
-- none on purpose: callbacks change it several times a call (the busiest
-- write), and keeping an index of it cost a third of their throughput.
CREATE INDEX call_logs_by_intent_outcome ON call_logs (intent, outcome);
