-- Rate limits' token buckets, shared by every instance on this database: one row per
-- limit and key (an account id, an address, a username).
CREATE TABLE rate_buckets (
    limit_name TEXT             NOT NULL,
    key        TEXT             NOT NULL,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT           NOT NULL, -- milliseconds since the Unix epoch
    spent      BOOLEAN          NOT NULL, -- whether the last try took a token
    PRIMARY KEY (limit_name, key)
);

CREATE INDEX rate_buckets_by_age ON rate_buckets (updated_at);
