-- Rooms, their messages, and a first room so a new install isn't empty.
CREATE TABLE rooms (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    title         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL, -- milliseconds since the Unix epoch
    message_count INTEGER NOT NULL DEFAULT 0,
    last_activity INTEGER NOT NULL  -- last message, or creation
);

-- AUTOINCREMENT: ids are never reused, so a cursor always means the same message.
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id    INTEGER NOT NULL REFERENCES rooms (id),
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX messages_by_room ON messages (room_id, id);
CREATE INDEX rooms_by_activity ON rooms (last_activity DESC);

INSERT INTO rooms (slug, title, created_at, last_activity)
VALUES ('lobby', 'Lobby', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
