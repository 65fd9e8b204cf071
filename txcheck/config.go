package txcheck

import (
	"errors"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// Config configures a Producer and a Sweeper. A zero value means the
// documented default; New and NewSweeper apply the defaults and Validate.
type Config struct {
	// Group is the transactional producer group. Check-backs go to any
	// live producer of the group, so every instance of a service must use
	// the same group (and the same tables). Required by New.
	Group string `koanf:"group"`
	// Table records committed keys (and the messages). Default
	// "rocketkit_txcheck".
	Table string `koanf:"table"`
	// SchemaTable records the applied schema version. Default
	// "rocketkit_schema".
	SchemaTable string `koanf:"schema-table"`
	// GracePeriod is how long a check-back answers "unknown" for a key
	// that is not in the table (its local transaction may still be
	// running); after it, the answer is rollback. It must exceed the
	// longest local transaction plus the clock difference between
	// producers. Default 1m.
	GracePeriod time.Duration `koanf:"grace-period"`
	// SendTimeout bounds the half message's send. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
	// CheckTimeout bounds the table lookup of one check-back. Default 5s.
	CheckTimeout time.Duration `koanf:"check-timeout"`
	// MaxPayloadSize bounds an encoded payload. Default 4 MiB.
	MaxPayloadSize int `koanf:"max-payload-size"`
	// ProbeTopic, when set, makes Start send a probe half message (rolled
	// back at once) to that topic. Clients heartbeat only brokers of
	// topics they have routes for, so without a send a freshly started
	// producer cannot be checked back; the probe makes it reachable at
	// once (on Apache RocketMQ: at its next heartbeat), e.g. for half
	// messages its predecessor left.
	ProbeTopic string `koanf:"probe-topic"`
	// SkipMigrations makes Start use the tables as they are.
	SkipMigrations bool `koanf:"skip-migrations"`
	// Sweeper tunes the sweeper.
	Sweeper SweeperConfig `koanf:"sweeper"`
}

// SweeperConfig tunes a Sweeper.
type SweeperConfig struct {
	// After is the age at which a committed key is verified on the broker.
	// It must exceed the broker's whole check window (transactionTimeOut +
	// transactionCheckMax × transactionCheckInterval: 6s + 15 × 30s with
	// Apache RocketMQ's defaults), or the sweeper may re-send a message a
	// later check-back commits. Default 15m.
	After time.Duration `koanf:"after"`
	// Interval is the time between sweeps. Default 1m.
	Interval time.Duration `koanf:"interval"`
	// BatchSize is the number of keys one sweep transaction takes.
	// Default 100.
	BatchSize int `koanf:"batch-size"`
	// LookupConcurrency bounds concurrent key lookups. Default 8.
	LookupConcurrency int `koanf:"lookup-concurrency"`
	// Retention is how long verified keys are kept. Default 24h.
	Retention time.Duration `koanf:"retention"`
}

// DefaultTable is the default table name.
const DefaultTable = "rocketkit_txcheck"

func (c *Config) setDefaults() {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.SchemaTable == "" {
		c.SchemaTable = sqlkit.DefaultSchemaTable
	}
	if c.GracePeriod == 0 {
		c.GracePeriod = time.Minute
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = 3 * time.Second
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = 5 * time.Second
	}
	if c.MaxPayloadSize == 0 {
		c.MaxPayloadSize = 4 << 20
	}
	s := &c.Sweeper
	if s.After == 0 {
		s.After = 15 * time.Minute
	}
	if s.Interval == 0 {
		s.Interval = time.Minute
	}
	if s.BatchSize == 0 {
		s.BatchSize = 100
	}
	if s.LookupConcurrency == 0 {
		s.LookupConcurrency = 8
	}
	if s.Retention == 0 {
		s.Retention = 24 * time.Hour
	}
}

// Validate checks the configuration (after defaults). The producer's
// field (Group) is checked by New only.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	for _, t := range []string{c.Table, c.SchemaTable} {
		if err := sqlkit.ValidateTableName(t); err != nil {
			bad("%v", err)
		}
	}
	if c.GracePeriod <= 0 || c.SendTimeout <= 0 || c.CheckTimeout <= 0 {
		bad("grace-period %v, send-timeout %v and check-timeout %v must be positive", c.GracePeriod, c.SendTimeout, c.CheckTimeout)
	}
	if c.MaxPayloadSize <= 0 || c.MaxPayloadSize > 16<<20 {
		bad("max-payload-size %d must be in 1..%d", c.MaxPayloadSize, 16<<20)
	}
	s := c.Sweeper
	if s.After <= c.GracePeriod {
		bad("sweeper.after %v must exceed grace-period %v", s.After, c.GracePeriod)
	}
	if s.Interval <= 0 || s.BatchSize <= 0 || s.LookupConcurrency <= 0 || s.Retention <= 0 {
		bad("sweeper.interval %v, batch-size %d, lookup-concurrency %d and retention %v must be positive",
			s.Interval, s.BatchSize, s.LookupConcurrency, s.Retention)
	}
	return errors.Join(errs...)
}

func (c Config) validateProducer() error {
	if c.Group == "" {
		return fmt.Errorf("%w: group is required", ErrInvalidConfig)
	}
	return nil
}
