-- Comment threads: a thread is a room of its own kind, for the page at `thread_url` (on a
-- site allowed to embed Murmur). Chat rooms have none; one room per page.
ALTER TABLE rooms ADD COLUMN thread_url TEXT;

CREATE UNIQUE INDEX rooms_by_thread_url ON rooms (thread_url);
