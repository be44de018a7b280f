-- Exports of a room's history, made in the background for the member who asked. A job
-- left 'running' by a server that stopped is started again by the next one.
CREATE TABLE exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    room_id     INTEGER NOT NULL REFERENCES rooms (id),
    format      TEXT    NOT NULL CHECK (format IN ('jsonl', 'csv')),
    state       TEXT    NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'ready', 'failed')),
    percent     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL, -- it expires a day after
    -- When its file was last begun: a message deleted since may be in it, and the file is
    -- then made again, so deleted text never leaves the server.
    made_from   INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX exports_by_user ON exports (user_id, id);
CREATE INDEX exports_by_state ON exports (state);
