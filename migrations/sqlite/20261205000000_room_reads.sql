-- How far each person has read each room: the newest message they have seen in it. A room
-- they never opened counts as read up to when they signed up.
CREATE TABLE room_reads (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    room_id   INTEGER NOT NULL REFERENCES rooms (id),
    last_read INTEGER NOT NULL, -- a message id
    PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;
