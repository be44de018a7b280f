-- A person's own live topic (`user:<username>`) and the notifications it announces.
--
-- Every event on the topic that a client may resume after is a row here, in the order the
-- rows commit: `id` is the topic's cursor. (SQLite has one writer at a time, so AUTOINCREMENT
-- ids are commit-ordered.)
CREATE TABLE user_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL, -- the event's kind: notification, export-progress, …
    payload    TEXT,             -- its JSON; NULL for a notification (read from its row)
    created_at INTEGER NOT NULL
);

CREATE INDEX user_events_by_user ON user_events (user_id, id);

-- Someone was mentioned in a message. Its id is the id of the event that announced it.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY REFERENCES user_events (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    message_id INTEGER NOT NULL REFERENCES messages (id),
    excerpt    TEXT    NOT NULL, -- the start of the message's text, kept in step with it
    read       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_by_message ON notifications (message_id);
