-- The whole schema at once: what migrations/sqlite/ adds up to, in Postgres' types. Times
-- are milliseconds since the Unix epoch (BIGINT), as on SQLite.

-- Every change to a room — a new message, an edit, a deletion — takes the next number of
-- this sequence: a new message's id and its `seq` are the number of its creation, an edit's
-- or a deletion's `seq` its own. A writer takes it after locking the room's row (held until
-- commit), so a room's changes are numbered in the order they commit.
CREATE SEQUENCE message_changes;

-- `username` is stored lowercase, so the unique index makes names unique ignoring case.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL, -- argon2id, PHC string
    created_at    BIGINT NOT NULL
);

-- Only the SHA-256 of a session's token is kept: a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL -- slides forward with use
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE rooms (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    title         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    message_count BIGINT  NOT NULL DEFAULT 0,
    last_activity BIGINT  NOT NULL, -- last message, or creation
    private       BOOLEAN NOT NULL DEFAULT FALSE,
    creator_id    BIGINT  REFERENCES users (id)
);

CREATE INDEX rooms_by_activity ON rooms (last_activity DESC);

-- Members of private rooms (public rooms have none).
CREATE TABLE room_members (
    room_id  BIGINT NOT NULL REFERENCES rooms (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- `seq` is the number of a message's latest change; a stream resumes by reading the room's
-- messages with `seq` above its cursor. A deleted message keeps its row, its body emptied.
CREATE TABLE messages (
    id         BIGINT PRIMARY KEY DEFAULT nextval('message_changes'),
    room_id    BIGINT NOT NULL REFERENCES rooms (id),
    author     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    author_id  BIGINT REFERENCES users (id), -- NULL for messages from before accounts
    seq        BIGINT NOT NULL,
    edited_at  BIGINT,
    deleted_at BIGINT
);

ALTER SEQUENCE message_changes OWNED BY messages.id;
CREATE INDEX messages_by_room ON messages (room_id, id);
CREATE INDEX messages_by_change ON messages (room_id, seq);

-- Every event on a person's topic that a client may resume after, in the order the rows
-- commit: `id` is the topic's cursor. A writer locks the person's `users` row before it
-- takes an id, so one person's ids are commit-ordered.
CREATE TABLE user_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT   NOT NULL, -- the event's kind: notification, export-progress, …
    payload    TEXT,            -- its JSON; NULL for a notification (read from its row)
    created_at BIGINT NOT NULL
);

CREATE INDEX user_events_by_user ON user_events (user_id, id);

-- Someone was mentioned in a message. Its id is the id of the event that announced it.
CREATE TABLE notifications (
    id         BIGINT  PRIMARY KEY REFERENCES user_events (id),
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    message_id BIGINT  NOT NULL REFERENCES messages (id),
    excerpt    TEXT    NOT NULL, -- the start of the message's text, kept in step with it
    read       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL
);

CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_by_message ON notifications (message_id);

-- How far each person has read each room: the newest message they have seen in it. A room
-- they never opened counts as read up to when they signed up.
CREATE TABLE room_reads (
    user_id   BIGINT NOT NULL REFERENCES users (id),
    room_id   BIGINT NOT NULL REFERENCES rooms (id),
    last_read BIGINT NOT NULL, -- a message id
    PRIMARY KEY (user_id, room_id)
);

-- Exports of a room's history, made in the background for the member who asked. A job
-- left 'running' by an instance that stopped is taken up by another runner (see runner.rs).
CREATE TABLE exports (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    room_id    BIGINT NOT NULL REFERENCES rooms (id),
    format     TEXT   NOT NULL CHECK (format IN ('jsonl', 'csv')),
    state      TEXT   NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'ready', 'failed')),
    percent    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL, -- it expires a day after
    -- When its file was last begun: a message deleted since may be in it, and the file is
    -- then made again, so deleted text never leaves the server.
    made_from  BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX exports_by_user ON exports (user_id, id);
CREATE INDEX exports_by_state ON exports (state);

-- A first room, so a new install isn't empty.
INSERT INTO rooms (slug, title, created_at, last_activity)
VALUES ('lobby', 'Lobby', (extract(epoch FROM now()) * 1000)::BIGINT,
        (extract(epoch FROM now()) * 1000)::BIGINT);
