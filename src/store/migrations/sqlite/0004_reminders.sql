-- One row per (appointment, start time) the reminder job has decided about:
-- claimed before the carrier is called, so no appointment is reminded twice.
-- See ReminderState in src/domain/types.h for the states.
CREATE TABLE reminders (
  id                 INTEGER PRIMARY KEY,
  appointment_id     INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
  appointment_start  INTEGER NOT NULL,
  customer_id        INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  state              TEXT    NOT NULL
                     CHECK (state IN ('pending', 'dialling', 'calling', 'done', 'failed', 'skipped', 'dropped')),
  channel            TEXT    NOT NULL DEFAULT 'call' CHECK (channel IN ('call', 'sms')),
  attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  due_at             INTEGER NOT NULL,
  claimed_by         TEXT    NOT NULL DEFAULT '',
  claimed_at         INTEGER,
  lease_until        INTEGER,
  call_sid           TEXT    NOT NULL DEFAULT '',
  reason             TEXT    NOT NULL DEFAULT '',
  detail             TEXT    NOT NULL DEFAULT '',
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (appointment_id, appointment_start)
);
-- claim_due_reminders: pending rows by due time; the stale-claim and
-- follow-up queries read the dialling and calling rows the same way.
CREATE INDEX reminders_by_state_due ON reminders (state, due_at);
CREATE INDEX reminders_by_customer_state ON reminders (customer_id, state);
CREATE INDEX reminders_by_start ON reminders (appointment_start);
