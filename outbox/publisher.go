package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"github.com/rocketkit/rocketkit/tracing"
)

// rowPlaceholders are one message's values in the INSERT.
const rowPlaceholders = "(?,?,?,?,?,?,?,?,?)"

// maxPublishBatch bounds the messages of one Publish call (one INSERT).
const maxPublishBatch = 5000

// Publisher writes messages into the outbox table, inside the caller's
// transaction. It is safe for concurrent use and holds no connection.
type Publisher struct {
	cfg     Config
	codec   Codec
	log     *slog.Logger
	tracer  tracing.Tracer // nil: none
	insert  string         // INSERT … VALUES prefix
	insert1 string         // the whole INSERT of one message
}

// NewPublisher returns a publisher for the table in cfg. It does not touch
// the database: create the table with Migrate (or let a Relay do it).
func NewPublisher(cfg Config, opts ...Option) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := newSettings(opts)
	insert := "INSERT INTO " + sqlkit.QuoteTable(cfg.Table) +
		" (msg_key, topic, tag, msg_keys, sharding_key, shard_hash, properties, delay_level, payload) VALUES "
	return &Publisher{
		cfg:     cfg,
		codec:   s.codec,
		log:     s.logger,
		tracer:  s.tracer,
		insert:  insert,
		insert1: insert + rowPlaceholders,
	}, nil
}

// Publish writes msgs with one INSERT through exec, which is normally the
// caller's *sql.Tx: the messages are sent once that transaction commits,
// and never if it rolls back. Given a *sql.DB, the messages are committed
// at once.
//
// Every message is encoded and validated before anything is written, so
// an error (ErrEncode, ErrInvalidMessage, ErrPayloadTooLarge, or a
// database error, ErrDBClosed for a closed *sql.DB) means no message of
// the call was written; the transaction stays usable and the caller
// decides whether to roll it back. At most 5000 messages per call.
func (p *Publisher) Publish(ctx context.Context, exec ContextExecutor, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if len(msgs) > maxPublishBatch {
		return fmt.Errorf("%w: %d messages in one Publish, at most %d", ErrInvalidMessage, len(msgs), maxPublishBatch)
	}
	var q strings.Builder
	if len(msgs) > 1 {
		q.Grow(len(p.insert) + len(msgs)*(len(rowPlaceholders)+1))
		q.WriteString(p.insert)
	}
	args := make([]any, 0, 9*len(msgs))
	for i, m := range msgs {
		r, err := NewRecord(p.codec, m, p.cfg.MaxPayloadSize)
		if err != nil {
			return err
		}
		if p.tracer != nil {
			if r.Properties == nil {
				r.Properties = map[string]string{}
			}
			p.tracer.Inject(ctx, r.Properties) // the writer's trace context, sent with the row
		}
		var props any
		if len(r.Properties) > 0 {
			b, err := json.Marshal(r.Properties)
			if err != nil {
				return fmt.Errorf("%w: properties: %w", ErrInvalidMessage, err)
			}
			props = string(b)
		}
		if len(msgs) > 1 {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(rowPlaceholders)
		}
		args = append(args, r.Key, r.Topic, r.Tag, strings.Join(r.Keys, " "), r.ShardingKey,
			int64(shardHash(r.Topic, r.ShardingKey)), props, r.DelayLevel, r.Body)
	}
	stmt := p.insert1
	if len(msgs) > 1 {
		stmt = q.String()
	}
	if _, err := exec.ExecContext(ctx, stmt, args...); err != nil {
		return fmt.Errorf("outbox: publish %d message(s) to %s: %w", len(msgs), p.cfg.Table, dbErr(err))
	}
	return nil
}
