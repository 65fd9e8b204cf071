-- The outbox table. state: 0 pending, 2 sent, 3 failed (gave up after
-- relay.max-failures). A pending row whose id is in a lease is being sent,
-- or its send outcome is unknown.
CREATE TABLE IF NOT EXISTS {{.Table}} (
  id            BIGINT UNSIGNED  NOT NULL AUTO_INCREMENT,
  msg_key       VARCHAR(64)      NOT NULL,
  topic         VARCHAR(127)     NOT NULL,
  tag           VARCHAR(127)     NOT NULL DEFAULT '',
  msg_keys      VARCHAR(1024)    NOT NULL DEFAULT '',
  sharding_key  VARCHAR(255)     NOT NULL DEFAULT '',
  shard_hash    BIGINT           NOT NULL DEFAULT 0,
  properties    TEXT             NULL,
  delay_level   TINYINT UNSIGNED NOT NULL DEFAULT 0,
  payload       MEDIUMBLOB       NOT NULL,
  state         TINYINT UNSIGNED NOT NULL DEFAULT 0,
  failures      INT UNSIGNED     NOT NULL DEFAULT 0,
  last_error    VARCHAR(512)     NULL,
  created_at    DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  sent_at       DATETIME(6)      NOT NULL DEFAULT '1970-01-02 00:00:00',
  PRIMARY KEY (id),
  KEY state_id (state, id, shard_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Leases: the rows a relay is sending (committed before the first send,
-- deleted with the mark). A lease past due_at whose rows are still pending
-- belongs to a relay that died, or records failed sends: their outcome is
-- unknown until looked up by key. ids are little-endian uint64s.
CREATE TABLE IF NOT EXISTS {{.Leases}} (
  token         BIGINT           NOT NULL,
  min_id        BIGINT UNSIGNED  NOT NULL,
  max_id        BIGINT UNSIGNED  NOT NULL,
  ids           MEDIUMBLOB       NOT NULL,
  due_at        DATETIME(6)      NOT NULL,
  created_at    DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (token),
  KEY due_at (due_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
