package outbox

import (
	"errors"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// Config is the outbox's configuration: the table Publisher writes and the
// Relay reads, and the relay's tuning. A zero value means the documented
// default; NewPublisher and NewRelay apply the defaults and Validate.
type Config struct {
	// Table is the outbox table, optionally qualified (db.table), at most
	// 58 characters; its leases live in Table + "_lease". Default
	// "rocketkit_outbox".
	Table string `koanf:"table"`
	// SchemaTable records the applied schema versions. Default
	// "rocketkit_schema".
	SchemaTable string `koanf:"schema-table"`
	// MaxPayloadSize bounds an encoded payload in bytes. Default 4 MiB
	// (the broker's default maxMessageSize). Must not exceed 16 MiB.
	MaxPayloadSize int `koanf:"max-payload-size"`
	// Relay tunes the relay.
	Relay RelayConfig `koanf:"relay"`
}

// RelayConfig tunes a Relay.
type RelayConfig struct {
	// BatchSize is the number of rows one claim takes. Default 1000.
	BatchSize int `koanf:"batch-size"`
	// Workers is the number of claim-send-mark loops. Default 2.
	Workers int `koanf:"workers"`
	// PollInterval is how long an idle worker waits before it looks for
	// rows again. Default 200ms.
	PollInterval time.Duration `koanf:"poll-interval"`
	// BatchWait is how long the first worker waits after a claim that took
	// less than half a batch, so that rows accumulate (the other workers
	// wait PollInterval then: they help only with a backlog). It bounds the
	// latency a relay adds under light load. Default 50ms; negative means
	// no wait.
	BatchWait time.Duration `koanf:"batch-wait"`
	// Lease is how long claimed rows belong to the relay that claimed
	// them. A relay that has not marked them sent by then is presumed dead
	// and its rows' outcome unknown: another relay looks their keys up on
	// the broker before sending them again. Default 30s; must be at least
	// four times SendTimeout.
	Lease time.Duration `koanf:"lease"`
	// SendTimeout bounds one send to the broker. Default 5s.
	SendTimeout time.Duration `koanf:"send-timeout"`
	// MaxBatchMessages bounds the messages in one SEND_BATCH. Default 256.
	MaxBatchMessages int `koanf:"max-batch-messages"`
	// MaxBatchBytes bounds the body of one SEND_BATCH. Default 1 MiB.
	MaxBatchBytes int `koanf:"max-batch-bytes"`
	// SendConcurrency is the number of queues one worker sends to at
	// once. Default 4.
	SendConcurrency int `koanf:"send-concurrency"`
	// RetryBackoff is the delay before a failed row is tried again; it
	// doubles with every failure up to MaxRetryBackoff. Defaults 1s and 1m.
	RetryBackoff    time.Duration `koanf:"retry-backoff"`
	MaxRetryBackoff time.Duration `koanf:"max-retry-backoff"`
	// MaxFailures gives up on a row after that many failed sends: it is
	// set aside (state failed) and no longer holds back its sharding key.
	// Default 0: retry forever.
	MaxFailures int `koanf:"max-failures"`
	// LookupConcurrency bounds the key lookups one worker runs at once.
	// Default 8.
	LookupConcurrency int `koanf:"lookup-concurrency"`
	// Retention is how long sent rows are kept before they are pruned.
	// Default 24h; negative disables pruning.
	Retention time.Duration `koanf:"retention"`
	// PruneInterval is how often sent rows are pruned. Default 1m.
	PruneInterval time.Duration `koanf:"prune-interval"`
	// PruneBatch is the number of rows one DELETE removes. Default 1000.
	PruneBatch int `koanf:"prune-batch"`
	// SkipMigrations makes Start and Run use the table as it is instead of
	// creating or upgrading it.
	SkipMigrations bool `koanf:"skip-migrations"`
}

// Defaults applied by setDefaults.
const (
	DefaultTable          = "rocketkit_outbox"
	defaultMaxPayload     = 4 << 20
	maxMaxPayload         = 16 << 20
	defaultBatchSize      = 1000
	defaultWorkers        = 2
	defaultPollInterval   = 200 * time.Millisecond
	defaultBatchWait      = 50 * time.Millisecond
	defaultLease          = 30 * time.Second
	defaultSendTimeout    = 5 * time.Second
	defaultBatchMessages  = 256
	defaultBatchBytes     = 1 << 20
	defaultSendConc       = 4
	defaultRetryBackoff   = time.Second
	defaultMaxBackoff     = time.Minute
	defaultLookupConc     = 8
	defaultRetention      = 24 * time.Hour
	defaultPruneInterval  = time.Minute
	defaultPruneBatch     = 1000
	maxBatchSize          = 10000
	maxBatchMessagesLimit = 4096
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.SchemaTable == "" {
		c.SchemaTable = sqlkit.DefaultSchemaTable
	}
	if c.MaxPayloadSize == 0 {
		c.MaxPayloadSize = defaultMaxPayload
	}
	r := &c.Relay
	if r.BatchSize == 0 {
		r.BatchSize = defaultBatchSize
	}
	if r.Workers == 0 {
		r.Workers = defaultWorkers
	}
	if r.PollInterval == 0 {
		r.PollInterval = defaultPollInterval
	}
	if r.BatchWait == 0 {
		r.BatchWait = defaultBatchWait
	}
	if r.Lease == 0 {
		r.Lease = defaultLease
	}
	if r.SendTimeout == 0 {
		r.SendTimeout = defaultSendTimeout
	}
	if r.MaxBatchMessages == 0 {
		r.MaxBatchMessages = defaultBatchMessages
	}
	if r.MaxBatchBytes == 0 {
		r.MaxBatchBytes = defaultBatchBytes
	}
	if r.SendConcurrency == 0 {
		r.SendConcurrency = defaultSendConc
	}
	if r.RetryBackoff == 0 {
		r.RetryBackoff = defaultRetryBackoff
	}
	if r.MaxRetryBackoff == 0 {
		r.MaxRetryBackoff = max(defaultMaxBackoff, r.RetryBackoff)
	}
	if r.LookupConcurrency == 0 {
		r.LookupConcurrency = defaultLookupConc
	}
	if r.Retention == 0 {
		r.Retention = defaultRetention
	}
	if r.PruneInterval == 0 {
		r.PruneInterval = defaultPruneInterval
	}
	if r.PruneBatch == 0 {
		r.PruneBatch = defaultPruneBatch
	}
}

// Validate checks the configuration (after defaults), fields against each
// other included; errors wrap ErrInvalidConfig and name the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if err := sqlkit.ValidateTableName(c.Table); err != nil {
		bad("table: %v", err)
	} else if len(sqlkit.BareName(c.Table)+leaseSuffix) > 64 {
		bad("table %q: at most %d characters (the lease table adds %q)", c.Table, 64-len(leaseSuffix), leaseSuffix)
	}
	if err := sqlkit.ValidateTableName(c.SchemaTable); err != nil {
		bad("schema-table: %v", err)
	}
	if c.MaxPayloadSize <= 0 || c.MaxPayloadSize > maxMaxPayload {
		bad("max-payload-size %d must be in 1..%d", c.MaxPayloadSize, maxMaxPayload)
	}
	r := c.Relay
	if r.BatchSize <= 0 || r.BatchSize > maxBatchSize {
		bad("relay.batch-size %d must be in 1..%d", r.BatchSize, maxBatchSize)
	}
	if r.Workers <= 0 || r.Workers > 64 {
		bad("relay.workers %d must be in 1..64", r.Workers)
	}
	if r.PollInterval <= 0 {
		bad("relay.poll-interval %v must be positive", r.PollInterval)
	}
	if r.SendTimeout <= 0 {
		bad("relay.send-timeout %v must be positive", r.SendTimeout)
	}
	if r.Lease < 4*r.SendTimeout {
		bad("relay.lease %v must be at least four times relay.send-timeout %v", r.Lease, r.SendTimeout)
	}
	if r.MaxBatchMessages <= 0 || r.MaxBatchMessages > maxBatchMessagesLimit {
		bad("relay.max-batch-messages %d must be in 1..%d", r.MaxBatchMessages, maxBatchMessagesLimit)
	}
	if r.MaxBatchBytes <= 0 || r.MaxBatchBytes > maxMaxPayload {
		bad("relay.max-batch-bytes %d must be in 1..%d", r.MaxBatchBytes, maxMaxPayload)
	}
	if r.SendConcurrency <= 0 || r.LookupConcurrency <= 0 {
		bad("relay.send-concurrency %d and relay.lookup-concurrency %d must be positive", r.SendConcurrency, r.LookupConcurrency)
	}
	if r.RetryBackoff <= 0 || r.MaxRetryBackoff < r.RetryBackoff {
		bad("relay.retry-backoff %v must be positive and at most relay.max-retry-backoff %v", r.RetryBackoff, r.MaxRetryBackoff)
	}
	if r.MaxFailures < 0 {
		bad("relay.max-failures %d must not be negative", r.MaxFailures)
	}
	if r.Retention > 0 && (r.PruneInterval <= 0 || r.PruneBatch <= 0) {
		bad("relay.prune-interval %v and relay.prune-batch %d must be positive", r.PruneInterval, r.PruneBatch)
	}
	return errors.Join(errs...)
}
