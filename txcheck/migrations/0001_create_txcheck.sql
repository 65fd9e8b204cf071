-- Keys of transactional messages whose local transaction committed, with
-- the message, so the sweeper can re-send it. state: 0 committed locally
-- (broker outcome not verified), 1 found on the broker, 2 re-sent by the
-- sweeper.
CREATE TABLE IF NOT EXISTS {{.Table}} (
  msg_key       VARCHAR(64)      NOT NULL,
  topic         VARCHAR(127)     NOT NULL,
  tag           VARCHAR(127)     NOT NULL DEFAULT '',
  msg_keys      VARCHAR(1024)    NOT NULL DEFAULT '',
  sharding_key  VARCHAR(255)     NOT NULL DEFAULT '',
  properties    TEXT             NULL,
  delay_level   TINYINT UNSIGNED NOT NULL DEFAULT 0,
  payload       MEDIUMBLOB       NOT NULL,
  state         TINYINT UNSIGNED NOT NULL DEFAULT 0,
  created_at    DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  verified_at   DATETIME(6)      NULL,
  PRIMARY KEY (msg_key),
  KEY state_created (state, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
