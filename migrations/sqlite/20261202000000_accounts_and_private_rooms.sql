-- Accounts, their sessions, and private rooms with members. Existing rooms stay public and
-- existing messages keep their author text (they have no author account).

-- `username` is stored lowercase, so the unique index makes names unique ignoring case.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL, -- argon2id, PHC string
    created_at    INTEGER NOT NULL
);

-- Only the SHA-256 of a session's token is kept: a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL -- milliseconds since the Unix epoch; slides forward with use
) WITHOUT ROWID;

CREATE INDEX sessions_by_user ON sessions (user_id);

ALTER TABLE rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN creator_id INTEGER REFERENCES users (id);

-- Members of private rooms (public rooms have none).
CREATE TABLE room_members (
    room_id  INTEGER NOT NULL REFERENCES rooms (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- The account that posted; NULL for messages from before accounts.
ALTER TABLE messages ADD COLUMN author_id INTEGER REFERENCES users (id);
