-- Customers, vehicles, appointments and call logs. Times are UTC Unix seconds.
CREATE TABLE customers (
  id            INTEGER PRIMARY KEY,
  first_name    TEXT    NOT NULL,
  last_name     TEXT    NOT NULL DEFAULT '',
  phone         TEXT    NOT NULL UNIQUE,
  email         TEXT    NOT NULL DEFAULT '',
  time_zone     TEXT    NOT NULL DEFAULT '',
  opted_out     INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
  opted_out_at  INTEGER,
  created_at    INTEGER NOT NULL
);

CREATE TABLE vehicles (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  year         INTEGER NOT NULL,
  make         TEXT    NOT NULL,
  model        TEXT    NOT NULL,
  vin          TEXT    NOT NULL DEFAULT '',
  plate        TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL
);
CREATE INDEX vehicles_by_customer ON vehicles (customer_id);

CREATE TABLE appointments (
  id                INTEGER PRIMARY KEY,
  customer_id       INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  vehicle_id        INTEGER NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
  start_at          INTEGER NOT NULL,
  duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
  service_type      TEXT    NOT NULL,
  status            TEXT    NOT NULL
                    CHECK (status IN ('SCHEDULED', 'CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
  notes             TEXT    NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
-- "appointments with status S starting in [from, to)": the reminder job's query.
CREATE INDEX appointments_by_status_start ON appointments (status, start_at);
CREATE INDEX appointments_by_start ON appointments (start_at);
CREATE INDEX appointments_by_customer ON appointments (customer_id, start_at);
CREATE INDEX appointments_by_vehicle ON appointments (vehicle_id);

CREATE TABLE call_logs (
  id                INTEGER PRIMARY KEY,
  call_sid          TEXT    NOT NULL UNIQUE,
  customer_id       INTEGER REFERENCES customers(id) ON DELETE SET NULL,
  appointment_id    INTEGER REFERENCES appointments(id) ON DELETE SET NULL,
  direction         TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  status            TEXT    NOT NULL,
  intent            TEXT    NOT NULL DEFAULT '',
  from_number       TEXT    NOT NULL DEFAULT '',
  to_number         TEXT    NOT NULL DEFAULT '',
  started_at        INTEGER,
  ended_at          INTEGER,
  duration_seconds  INTEGER,
  answered_by       TEXT    NOT NULL DEFAULT '',
  outcome           TEXT    NOT NULL DEFAULT '',
  error_code        INTEGER,
  error_message     TEXT    NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX call_logs_by_customer ON call_logs (customer_id, created_at);
CREATE INDEX call_logs_by_appointment ON call_logs (appointment_id, created_at);
CREATE INDEX call_logs_by_created ON call_logs (created_at);
