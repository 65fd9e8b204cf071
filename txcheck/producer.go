package txcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"github.com/rocketkit/rocketkit/tracing"
	"github.com/rocketkit/rocketkit/transport"
)

// probeProperty marks the probe half message Start sends.
const probeProperty = "ROCKETKIT_PROBE"

// TxFunc is the local transaction's work. It must not commit or roll back
// tx. Returning nil commits and delivers the message, an error rolls back
// and drops it, and ErrUnknown (or an error wrapping it) commits but
// leaves the message's outcome to the broker's check-back.
type TxFunc func(ctx context.Context, tx *sql.Tx) error

// Result is a transactional send's outcome.
type Result struct {
	// Key is the message's unique key (outbox.KeyProperty, also in KEYS).
	Key string
	// MsgID is the client's message id (UNIQ_KEY).
	MsgID string
	// State is what the producer told the broker: Commit, Rollback, or
	// Unknown (the check-back decides).
	State State
}

// Producer sends RocketMQ transactional messages whose local transaction
// runs in MySQL and records the message's key, so that check-backs are
// answered from the table. One Producer serves any number of topics
// (flows); WithRoute and WithChecker route them by topic. It is safe for
// concurrent use.
type Producer struct {
	cfg     Config
	backend transport.Backend
	db      outbox.Beginner
	codec   outbox.Codec
	log     *slog.Logger
	routes  map[string]route
	tracer  tracing.Tracer // nil: none
	insert  string
	hooks   hooks // tests only

	mu      sync.Mutex
	tp      transport.Producer // nil unless started; guarded by mu
	stopped bool               // guarded by mu
}

// hooks let tests act after the local transaction, before the outcome is
// reported (crash tests).
type hooks struct {
	afterLocal func(key string, st State) State
}

// call is one SendInTransaction in progress.
type call struct {
	ctx      context.Context
	fn       TxFunc
	rec      outbox.Record
	db       outbox.Beginner
	ran      bool
	err      error
	panicked any
}

// New returns a producer of the transactional group cfg.Group on b whose
// local transactions run on db (normally a *sql.DB) unless a route says
// otherwise. Start creates the producer on b; close it before b.
func New(b transport.Backend, db outbox.Beginner, cfg Config, opts ...Option) (*Producer, error) {
	cfg.setDefaults()
	if err := errors.Join(cfg.Validate(), cfg.validateProducer()); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: no transport backend", ErrInvalidConfig)
	}
	if db == nil {
		return nil, fmt.Errorf("%w: no database", ErrInvalidConfig)
	}
	s := newSettings(opts)
	return &Producer{
		cfg: cfg, backend: b, db: db, codec: s.codec, log: s.logger.With("group", cfg.Group), routes: s.routes, tracer: s.tracer,
		insert: "INSERT INTO " + sqlkit.QuoteTable(cfg.Table) +
			" (msg_key, topic, tag, msg_keys, sharding_key, properties, delay_level, payload) VALUES (?,?,?,?,?,?,?,?)",
	}, nil
}

// Start creates or upgrades the key tables (unless SkipMigrations),
// creates the transactional producer (no client-side retries: a retried
// half message would be a second one) and, with ProbeTopic, makes it
// reachable for check-backs at once. ctx bounds the start-up.
func (p *Producer) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrNotStarted
	}
	if p.tp != nil {
		return nil
	}
	if !p.cfg.SkipMigrations {
		for _, db := range p.databases() {
			conner, ok := db.(sqlkit.Conner)
			if !ok {
				return fmt.Errorf("%w: migrations need a *sql.DB (or set skip-migrations)", ErrInvalidConfig)
			}
			if err := Migrate(ctx, conner, p.cfg); err != nil {
				return err
			}
		}
	}
	tp, err := p.backend.NewTransactionProducer(client.ProducerConfig{
		Group: p.cfg.Group, SendTimeout: p.cfg.SendTimeout, Retries: -1,
	}, checker{p})
	if err != nil {
		return fmt.Errorf("txcheck: new producer: %w", err)
	}
	p.tp = tp
	if p.cfg.ProbeTopic != "" {
		p.probe(ctx)
	}
	return nil
}

// probe sends a half message to ProbeTopic and rolls it back at once. A
// client (the kit's own, the official one, Java's) sends heartbeats only
// to the brokers of topics it has routes for, and a broker checks back
// only producers that sent it a heartbeat (or, the rocketkit broker, a
// message), so until its first send a new producer cannot answer the
// check-backs of half messages its predecessors left; the probe's send
// gives it the route at once.
func (p *Producer) probe(ctx context.Context) {
	msg := &client.Message{Topic: p.cfg.ProbeTopic, Body: []byte("probe"), Properties: map[string]string{probeProperty: "1"}}
	_, _, err := p.tp.SendInTransaction(ctx, msg, func(context.Context, *client.SendResult) client.TransactionState {
		return client.RollbackTransaction
	})
	if err != nil {
		p.log.Warn("txcheck probe failed; check-backs reach this producer after its first send",
			"topic", p.cfg.ProbeTopic, "error", err)
	}
}

// Close closes the producer. Half messages of transactions in flight are
// resolved by check-backs to other producers of the group.
func (p *Producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.tp == nil {
		return nil
	}
	err := p.tp.Close()
	p.tp = nil
	return err
}

// databases lists the distinct databases of the producer and its routes.
func (p *Producer) databases() []outbox.Beginner {
	out := []outbox.Beginner{p.db}
	for _, r := range p.routes {
		if r.db != nil && !containsDB(out, r.db) {
			out = append(out, r.db)
		}
	}
	return out
}

func containsDB(list []outbox.Beginner, db outbox.Beginner) bool {
	for _, x := range list {
		if x == db {
			return true
		}
	}
	return false
}

// dbFor returns the database of topic's local transactions.
func (p *Producer) dbFor(topic string) outbox.Beginner {
	if r, ok := p.routes[topic]; ok && r.db != nil {
		return r.db
	}
	return p.db
}

// SendInTransaction sends payload to dest ("topic" or "topic:tag") as a
// transactional message with fn as its local transaction; see
// SendMessageInTransaction.
func (p *Producer) SendInTransaction(ctx context.Context, dest string, payload any, fn TxFunc) (Result, error) {
	return p.SendMessageInTransaction(ctx, outbox.Message{Destination: dest, Payload: payload}, fn)
}

// SendMessageInTransaction runs RocketMQ's transactional send:
//
//  1. the half message (invisible to consumers) is stored on the broker;
//     if that fails, the error wraps ErrHalfMessage and fn never runs;
//  2. fn runs in a new transaction on the topic's database, which also
//     records the message's key (and the message) in the key table;
//  3. commit → the broker is told to deliver; fn's error or panic →
//     rollback, and the broker drops the half message. fn's error is
//     returned; a panic is re-raised after the broker was told. fn
//     returning ErrUnknown (or an error wrapping it) commits but tells
//     the broker Unknown: the check-back decides, Result.State is
//     Unknown and no error is returned.
//
// If the process dies between 2 and 3, or the outcome is lost on the way,
// the broker checks back with a live producer of the group, which answers
// from the key table; a commit whose own outcome is unknown (connection
// lost during COMMIT) returns ErrOutcomeUnknown and is resolved the same
// way, and so is a committed transaction whose outcome could not be told
// to the broker (Result.State Unknown, no error: the check-back delivers
// the message). Cancelling ctx before the local commit rolls it back. A
// transactional message cannot be delayed (m.DelayLevel).
func (p *Producer) SendMessageInTransaction(ctx context.Context, m outbox.Message, fn TxFunc) (Result, error) {
	p.mu.Lock()
	tp := p.tp
	p.mu.Unlock()
	if tp == nil {
		return Result{}, ErrNotStarted
	}
	rec, err := outbox.NewRecord(p.codec, m, p.cfg.MaxPayloadSize)
	if err != nil {
		return Result{}, err // outbox's error, with its one prefix
	}
	if rec.DelayLevel != 0 {
		return Result{}, fmt.Errorf("%w: a transactional message cannot be delayed (%s)", outbox.ErrInvalidMessage, m.Destination)
	}
	msg := rec.Message()
	end := func(*client.SendResult, error) {}
	if p.tracer != nil {
		ctx, end = p.tracer.StartSend(ctx, tracing.Send{Mode: "transaction", Group: p.cfg.Group, Messages: []*client.Message{msg}})
	}
	c := &call{ctx: ctx, fn: fn, rec: rec, db: p.dbFor(rec.Topic)}
	res, st, err := tp.SendInTransaction(ctx, msg, func(context.Context, *client.SendResult) client.TransactionState {
		st := p.runLocal(c)
		if h := p.hooks.afterLocal; h != nil {
			st = h(rec.Key, st)
		}
		return st.transaction()
	})
	end(res, errors.Join(err, c.err))
	if c.panicked != nil {
		panic(c.panicked)
	}
	out := Result{Key: rec.Key, State: fromTransaction(st)}
	if res != nil {
		out.MsgID = res.MsgID
	}
	switch {
	case !c.ran && err != nil:
		return out, fmt.Errorf("%w: %s: %w", ErrHalfMessage, m.Destination, err)
	case !c.ran:
		// Stored without its durability guarantee: rolled back unrun.
		return out, fmt.Errorf("%w: %s: the broker answered %v", ErrHalfMessage, m.Destination, res.Status)
	case err != nil:
		// The local transaction ran; its outcome did not reach the broker,
		// whose check-back will read it from the key table.
		p.log.Warn("txcheck: outcome not told to the broker; the check-back decides",
			"topic", rec.Topic, "key", rec.Key, "state", out.State.String(), "error", err)
		out.State = Unknown
	}
	return out, c.err
}

// runLocal runs a call's local transaction.
func (p *Producer) runLocal(c *call) (st State) {
	c.ran = true
	tx, err := c.db.BeginTx(c.ctx, nil)
	if err != nil {
		c.err = fmt.Errorf("txcheck: begin local transaction: %w", sqlkit.MarkClosed(err))
		return Rollback
	}
	done := false
	defer func() {
		if done {
			return
		}
		if r := recover(); r != nil {
			_ = tx.Rollback()
			c.panicked = r
			st = Rollback
		}
	}()
	rollback := func(cause error) State {
		done = true
		if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			cause = errors.Join(cause, fmt.Errorf("txcheck: roll back: %w", sqlkit.MarkClosed(err)))
		}
		c.err = cause
		return Rollback
	}
	unknown := false
	if err := c.fn(c.ctx, tx); errors.Is(err, ErrUnknown) {
		unknown = true // commit, and leave the outcome to the check-back
	} else if err != nil {
		return rollback(err)
	}
	r := c.rec
	var props any
	if len(r.Properties) > 0 {
		b, _ := json.Marshal(r.Properties)
		props = string(b)
	}
	if _, err := tx.ExecContext(c.ctx, p.insert, r.Key, r.Topic, r.Tag, strings.Join(r.Keys, " "), r.ShardingKey,
		props, r.DelayLevel, r.Body); err != nil {
		return rollback(fmt.Errorf("txcheck: record key %s: %w", r.Key, sqlkit.MarkClosed(err)))
	}
	done = true
	if err := tx.Commit(); err != nil {
		if c.ctx.Err() != nil || errors.Is(err, sql.ErrTxDone) {
			c.err = fmt.Errorf("txcheck: commit: %w", sqlkit.MarkClosed(err)) // rolled back by database/sql
			return Rollback
		}
		c.err = fmt.Errorf("%w: commit: %w", ErrOutcomeUnknown, sqlkit.MarkClosed(err))
		return Unknown
	}
	if unknown {
		return Unknown
	}
	return Commit
}

// checker answers the producer's check-backs: each from the checker of
// the message's topic (the key table by default).
type checker struct{ p *Producer }

var _ client.TransactionChecker = checker{}

// Check implements client.TransactionChecker. The client may call it
// concurrently; ctx ends when the client closes.
func (c checker) Check(ctx context.Context, m *client.MessageExt) client.TransactionState {
	if m.Property(probeProperty) != "" {
		return client.RollbackTransaction
	}
	p := c.p
	key := m.Property(outbox.KeyProperty)
	ctx, cancel := context.WithTimeout(ctx, p.cfg.CheckTimeout)
	defer cancel()
	end := func(string, error) {}
	if p.tracer != nil {
		ctx, end = p.tracer.StartCheck(ctx, tracing.Check{Group: p.cfg.Group, Message: m})
	}
	st, err := p.checkerFor(m.Topic).Check(ctx, CheckParams{Topic: m.Topic, Key: key, Born: m.BornTime, Message: m})
	if err != nil {
		st = Unknown
	}
	end(st.String(), err)
	if err != nil {
		p.log.Warn("txcheck: check-back failed; answering unknown", "topic", m.Topic, "key", key, "error", err)
		return client.UnknownTransaction
	}
	p.log.Debug("txcheck: check-back answered", "topic", m.Topic, "key", key, "state", st.String())
	return st.transaction()
}

func (p *Producer) checkerFor(topic string) Checker {
	if r, ok := p.routes[topic]; ok && r.checker != nil {
		return r.checker
	}
	return &tableChecker{
		db:    p.dbFor(topic),
		query: "SELECT 1 FROM " + sqlkit.QuoteTable(p.cfg.Table) + " WHERE msg_key = ?",
		grace: p.cfg.GracePeriod,
		now:   time.Now,
	}
}
