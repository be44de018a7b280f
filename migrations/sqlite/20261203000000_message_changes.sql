-- Editing and deleting messages, and a room cursor that orders every change in the room.
--
-- Every change — a new message, an edit, a deletion — takes the next number of one sequence:
-- the messages table's own AUTOINCREMENT counter, so a new message's id is the number of
-- its creation, and cursors handed out before this migration (message ids) keep their
-- meaning. `seq` is the number of a message's latest change; a stream resumes by reading
-- the room's messages with `seq` above its cursor.
ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET seq = id;
CREATE INDEX messages_by_change ON messages (room_id, seq);

-- When the text was last edited; when the message was deleted (its body is then empty).
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;

-- The counter exists from the first insert on; make sure it does before anything reads it.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'messages', (SELECT COALESCE(MAX(id), 0) FROM messages)
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages');
