#include "schema.hpp"

#include <array>

namespace tta::store::schema {
namespace {

// SQLCipher 3.4.1 is SQLite 3.15: no UPSERT, no RETURNING, no window functions.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE people (
  id              INTEGER PRIMARY KEY,
  role            TEXT NOT NULL CHECK (role IN ('coach', 'student')),
  national_no     TEXT NOT NULL UNIQUE,
  id_card         TEXT NOT NULL,
  name            TEXT NOT NULL,
  licence_class   TEXT NOT NULL,
  face_template   BLOB,
  enrol_photo     BLOB,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL
);

CREATE TABLE training_sessions (
  id              INTEGER PRIMARY KEY,
  class_id        INTEGER NOT NULL,
  mode            TEXT NOT NULL CHECK (mode IN ('vehicle', 'classroom')),
  student_no      TEXT NOT NULL,
  coach_no        TEXT,
  course_code     TEXT NOT NULL,
  started_ms      INTEGER NOT NULL,
  ended_ms        INTEGER,
  UNIQUE (class_id, student_no)
);

-- One training minute (0x0203). Values the terminal did not have are NULL, never 0.
CREATE TABLE minutes (
  record_no       TEXT PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES training_sessions(id),
  minute_ms       INTEGER NOT NULL,
  status          INTEGER NOT NULL CHECK (status IN (0, 1)),
  max_speed_dkmh  INTEGER,
  mileage_hm      INTEGER,
  lat_e6          INTEGER,
  lon_e6          INTEGER,
  gnss_speed_dkmh INTEGER,
  sensor_speed_dkmh INTEGER,
  heading_deg     INTEGER,
  odometer_hm     INTEGER,
  engine_rpm      INTEGER,
  gnss_time_ms    INTEGER,
  flags           TEXT NOT NULL DEFAULT '',
  counted         INTEGER NOT NULL CHECK (counted IN (0, 1))
);

CREATE TABLE photos (
  photo_no        TEXT PRIMARY KEY,
  person_no       TEXT NOT NULL,
  class_id        INTEGER NOT NULL,
  event           INTEGER NOT NULL,
  size_code       INTEGER NOT NULL,
  taken_ms        INTEGER NOT NULL,
  confidence      INTEGER,
  lat_e6          INTEGER,
  lon_e6          INTEGER,
  jpeg            BLOB NOT NULL
);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  idem_key        TEXT NOT NULL,
  payload         BLOB NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'acked', 'refused')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  UNIQUE (kind, idem_key)
);

CREATE TABLE platform_params (
  name            TEXT PRIMARY KEY,
  value           TEXT NOT NULL,
  updated_ms      INTEGER NOT NULL
);

CREATE TABLE event_log (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms           INTEGER NOT NULL,
  kind            TEXT NOT NULL,
  detail          TEXT NOT NULL
);
)sql";

// v2: the event log becomes append-only, enrolment history is kept, and the queries the
// forwarder runs every second get indexes.
constexpr std::string_view kV2 = R"sql(
CREATE TRIGGER event_log_no_update BEFORE UPDATE ON event_log
BEGIN SELECT RAISE(ABORT, 'event_log is append-only'); END;
CREATE TRIGGER event_log_no_delete BEFORE DELETE ON event_log
BEGIN SELECT RAISE(ABORT, 'event_log is append-only'); END;

CREATE TABLE face_templates (
  id              INTEGER PRIMARY KEY,
  person_id       INTEGER NOT NULL REFERENCES people(id),
  template        BLOB NOT NULL,
  photo           BLOB,
  created_ms      INTEGER NOT NULL
);
INSERT INTO face_templates (person_id, template, photo, created_ms)
  SELECT id, face_template, enrol_photo, updated_ms FROM people WHERE face_template IS NOT NULL;

CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
CREATE INDEX minutes_session ON minutes (session_id, minute_ms);
)sql";

// v3: final assessments and completion certificates (training-rules.md §1), and indexes for
// the administrator's per-student and per-period queries.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE assessments (
  id              INTEGER PRIMARY KEY,
  student_no      TEXT NOT NULL,
  programme       TEXT NOT NULL,
  result          TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
  assessor        TEXT NOT NULL,
  assessed_on     TEXT NOT NULL,  -- YYYY-MM-DD, local date (GMT+8)
  created_ms      INTEGER NOT NULL
);
CREATE INDEX assessments_student ON assessments (student_no, programme);

-- One completion certificate per student and programme, with the hours behind it as issued.
CREATE TABLE certificates (
  number          TEXT PRIMARY KEY,
  student_no      TEXT NOT NULL,
  programme       TEXT NOT NULL,
  kind            TEXT NOT NULL,
  assessment_id   INTEGER NOT NULL REFERENCES assessments(id),
  institution_code TEXT NOT NULL,
  granted_on      TEXT NOT NULL,  -- YYYY-MM-DD, local date (GMT+8)
  classroom_min   INTEGER NOT NULL,
  practical_min   INTEGER NOT NULL,
  mileage_hm      INTEGER,        -- NULL: no minute had a mileage
  created_ms      INTEGER NOT NULL,
  UNIQUE (student_no, programme)
);

CREATE INDEX sessions_student ON training_sessions (student_no, started_ms);
CREATE INDEX sessions_started ON training_sessions (started_ms);
CREATE INDEX minutes_time ON minutes (minute_ms);
)sql";

// v4: retention (issue #14). The event log stays append-only except for pruning: a delete
// passes only while retention_gate.open = 1, which Store::prune sets and clears inside its
// own transaction. Indexes for the prune pass's lookups by key, time and class.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE retention_gate (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  open            INTEGER NOT NULL CHECK (open IN (0, 1))
);
INSERT INTO retention_gate (id, open) VALUES (1, 0);
DROP TRIGGER event_log_no_delete;
CREATE TRIGGER event_log_no_delete BEFORE DELETE ON event_log
WHEN (SELECT open FROM retention_gate WHERE id = 1) = 0
BEGIN SELECT RAISE(ABORT, 'event_log is append-only'); END;

CREATE INDEX outbox_key ON outbox (idem_key);
CREATE INDEX photos_taken ON photos (taken_ms);
CREATE INDEX photos_class ON photos (class_id);
CREATE INDEX sessions_class ON training_sessions (class_id);
CREATE INDEX event_log_at ON event_log (at_ms);
)sql";

// v5: honest inputs (issue #14). Minutes, photos and outbox entries made on SIMULATED
// inputs (agent.simulated) say so; a simulated outbox entry goes only to a test platform.
// Rows from before are real (0).
constexpr std::string_view kV5 = R"sql(
ALTER TABLE minutes ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
ALTER TABLE photos ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
ALTER TABLE outbox ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
)sql";

// v6: an administrator can disable a person (issue #15): a disabled person cannot check in.
// NULL disabled_at_ms: enabled. Who did it is kept beside when; re-enabling clears both (the
// event log keeps the history).
constexpr std::string_view kV6 = R"sql(
ALTER TABLE people ADD COLUMN disabled_at_ms INTEGER;
ALTER TABLE people ADD COLUMN disabled_by TEXT;
)sql";


// v7: bounded refusals and O(1) outbox counts (issue #14 item 3). `refusals` counts the
// platform's refusals of an entry (a non-zero ack result), so that it is tried a capped number
// of times before it stays refused; outbox_state_counts keeps the number of entries per state
// up to date by trigger, so /status does not count a table that grows for years.
constexpr std::string_view kV7 = R"sql(
ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
CREATE TABLE outbox_state_counts (
  state           TEXT PRIMARY KEY,
  n               INTEGER NOT NULL
);
INSERT INTO outbox_state_counts (state, n)
  SELECT s.state, (SELECT count(*) FROM outbox o WHERE o.state = s.state)
  FROM (SELECT 'queued' AS state UNION ALL SELECT 'in_flight' UNION ALL SELECT 'acked'
        UNION ALL SELECT 'refused') s;
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox
BEGIN UPDATE outbox_state_counts SET n = n + 1 WHERE state = NEW.state; END;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox
BEGIN UPDATE outbox_state_counts SET n = n - 1 WHERE state = OLD.state; END;
CREATE TRIGGER outbox_count_update AFTER UPDATE OF state ON outbox
WHEN OLD.state <> NEW.state
BEGIN
  UPDATE outbox_state_counts SET n = n - 1 WHERE state = OLD.state;
  UPDATE outbox_state_counts SET n = n + 1 WHERE state = NEW.state;
END;
)sql";

constexpr std::array<Migration, 7> kMigrations{
    {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}, {5, kV5}, {6, kV6}, {7, kV7}}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace tta::store::schema
