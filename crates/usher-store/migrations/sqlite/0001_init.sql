-- Usher's initial SQLite schema. Times are milliseconds since the Unix epoch,
-- JSON is stored as TEXT, and booleans as 0 or 1.

CREATE TABLE users (
    user_id       TEXT    NOT NULL PRIMARY KEY,
    localpart     TEXT    NOT NULL UNIQUE,
    display_name  TEXT,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'active', 'deactivated')),
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash          TEXT    NOT NULL PRIMARY KEY,
    user_id             TEXT    NOT NULL REFERENCES users (user_id),
    device_id           TEXT    NOT NULL,
    device_display_name TEXT,
    created_at          INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- The sponsor is not a foreign key, so a link survives whatever happens to
-- the sponsor's own account.
CREATE TABLE sponsor_links (
    user_id    TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id),
    sponsor_id TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    batch_id   TEXT,
    note       TEXT,
    created_at INTEGER NOT NULL
);
-- Serves quota counts and the sponsor's paged account list.
CREATE INDEX sponsor_links_by_sponsor ON sponsor_links (sponsor_id, created_at, user_id);

-- A NULL limit is unlimited.
CREATE TABLE sponsor_grants (
    user_id     TEXT    NOT NULL PRIMARY KEY,
    daily_limit INTEGER,
    total_limit INTEGER,
    granted_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
    sponsor_id   TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    response     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (sponsor_id, key)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id         INTEGER NOT NULL PRIMARY KEY,
    actor      TEXT,
    action     TEXT    NOT NULL,
    target     TEXT,
    details    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_by_target ON audit_log (target, created_at, id);

-- The server-wide stream position shared by events and account data: the
-- highest position assigned, in one row. An insert takes `position + 1` as its
-- stream, and the triggers below advance the row in the same statement.
CREATE TABLE stream_position (
    id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
INSERT INTO stream_position (id, position) VALUES (1, 0);

CREATE TABLE rooms (
    room_id      TEXT    NOT NULL PRIMARY KEY,
    creator      TEXT    NOT NULL,
    room_version TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE room_aliases (
    alias   TEXT NOT NULL PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms (room_id),
    creator TEXT NOT NULL
);

-- `stream` is the rowid, so events are stored in stream order.
CREATE TABLE events (
    stream           INTEGER NOT NULL PRIMARY KEY,
    event_id         TEXT    NOT NULL UNIQUE,
    room_id          TEXT    NOT NULL REFERENCES rooms (room_id),
    sender           TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    state_key        TEXT,
    content          TEXT    NOT NULL,
    origin_server_ts INTEGER NOT NULL,
    txn_device_id    TEXT,
    txn_id           TEXT,
    prev_content     TEXT
);
CREATE INDEX events_by_room ON events (room_id, stream);
CREATE INDEX events_state_by_key ON events (room_id, event_type, state_key, stream)
    WHERE state_key IS NOT NULL;
CREATE UNIQUE INDEX events_by_txn ON events (sender, txn_device_id, txn_id)
    WHERE txn_id IS NOT NULL;

CREATE TRIGGER events_insert_advances_stream AFTER INSERT ON events
BEGIN
    UPDATE stream_position SET position = NEW.stream WHERE id = 1;
END;

-- The latest state event of every (room, type, state key).
CREATE TABLE current_state (
    room_id    TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    state_key  TEXT    NOT NULL,
    stream     INTEGER NOT NULL REFERENCES events (stream),
    PRIMARY KEY (room_id, event_type, state_key)
) WITHOUT ROWID;

-- The membership set by the latest m.room.member event of every (room, user).
CREATE TABLE memberships (
    room_id    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    membership TEXT    NOT NULL,
    stream     INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id, membership);

-- `room_id` is '' for global account data.
CREATE TABLE account_data (
    user_id    TEXT    NOT NULL,
    room_id    TEXT    NOT NULL,
    data_type  TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    stream     INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, data_type)
) WITHOUT ROWID;
CREATE INDEX account_data_by_stream ON account_data (user_id, stream);

CREATE TRIGGER account_data_insert_advances_stream AFTER INSERT ON account_data
BEGIN
    UPDATE stream_position SET position = NEW.stream WHERE id = 1;
END;

CREATE TRIGGER account_data_update_advances_stream AFTER UPDATE OF stream ON account_data
BEGIN
    UPDATE stream_position SET position = NEW.stream WHERE id = 1;
END;

-- `filter_id` counts up from 1 per user.
CREATE TABLE filters (
    user_id   TEXT    NOT NULL,
    filter_id INTEGER NOT NULL,
    filter    TEXT    NOT NULL,
    PRIMARY KEY (user_id, filter_id)
) WITHOUT ROWID;
