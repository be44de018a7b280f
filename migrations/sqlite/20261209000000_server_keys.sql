-- Secrets the server signs with, made once at random by whichever instance starts first
-- (`device`: the device cookies that let an account's owner past the sign-in limit).
CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);
