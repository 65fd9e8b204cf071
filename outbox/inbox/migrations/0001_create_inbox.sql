-- Keys of handled messages, per consumer.
CREATE TABLE IF NOT EXISTS {{.Table}} (
  consumer      VARCHAR(128) NOT NULL,
  msg_key       VARCHAR(128) NOT NULL,
  processed_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (consumer, msg_key),
  KEY processed_at (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
