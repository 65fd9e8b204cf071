package txcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// probeProperty marks the probe half message Start sends.
const probeProperty = "ROCKETKIT_PROBE"

// TxFunc is the local transaction's work. It must not commit or roll back
// tx.
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
	cfg    Config
	db     outbox.Beginner
	codec  outbox.Codec
	log    *slog.Logger
	routes map[string]route
	client []producer.Option
	insert string
	calls  sync.Map // key → *call, while SendInTransaction runs
	hooks  hooks    // tests only

	mu      sync.Mutex
	tp      txProducer // nil unless started; guarded by mu
	stopped bool       // guarded by mu
}

// hooks let tests act after the local transaction, before the outcome is
// reported (crash tests).
type hooks struct {
	afterLocal func(key string, st State) State
}

// txProducer is what the official transactional producer offers.
type txProducer interface {
	Start() error
	Shutdown() error
	SendMessageInTransaction(ctx context.Context, msg *primitive.Message) (*primitive.TransactionSendResult, error)
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

// New returns a producer whose local transactions run on db (normally a
// *sql.DB) unless a route says otherwise. Start connects it.
func New(cfg Config, db outbox.Beginner, opts ...Option) (*Producer, error) {
	cfg.setDefaults()
	if err := errors.Join(cfg.Validate(), cfg.validateProducer()); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("%w: no database", ErrInvalidConfig)
	}
	if cfg.InstanceName == "" {
		cfg.InstanceName = fmt.Sprintf("%s-%d-%x", cfg.Group, os.Getpid(), rand.Uint32())
	}
	s := newSettings(opts)
	return &Producer{
		cfg: cfg, db: db, codec: s.codec, log: s.logger.With("group", cfg.Group), routes: s.routes, client: s.clientOp,
		insert: "INSERT INTO " + sqlkit.QuoteTable(cfg.Table) +
			" (msg_key, topic, tag, msg_keys, sharding_key, properties, delay_level, payload) VALUES (?,?,?,?,?,?,?,?)",
	}, nil
}

// Start creates or upgrades the key tables (unless SkipMigrations),
// starts the official transactional producer and, with ProbeTopic, makes
// it reachable for check-backs at once. ctx bounds the start-up.
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
	base := []producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr(p.cfg.NameServers)),
		producer.WithGroupName(p.cfg.Group),
		producer.WithInstanceName(p.cfg.InstanceName), // its own client instance: checks reach it
		producer.WithRetry(0),                         // a retried half message would be a second one
		producer.WithSendMsgTimeout(p.cfg.SendTimeout),
	}
	tp, err := producer.NewTransactionProducer(&listener{p}, append(base, p.client...)...)
	if err != nil {
		return fmt.Errorf("txcheck: new producer: %w", err)
	}
	if err := tp.Start(); err != nil {
		return fmt.Errorf("txcheck: start producer: %w", err)
	}
	p.tp = tp
	if p.cfg.ProbeTopic != "" {
		probe := primitive.NewMessage(p.cfg.ProbeTopic, []byte("probe"))
		probe.WithProperty(probeProperty, "1")
		if _, err := tp.SendMessageInTransaction(ctx, probe); err != nil {
			p.log.Warn("txcheck probe failed; check-backs reach this producer after its first send",
				"topic", p.cfg.ProbeTopic, "error", err)
		}
	}
	return nil
}

// Close shuts the producer down. Half messages of transactions in flight
// are resolved by check-backs to other producers of the group.
func (p *Producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.tp == nil {
		return nil
	}
	err := p.tp.Shutdown()
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
//     returned; a panic is re-raised after the broker was told.
//
// If the process dies between 2 and 3, or the outcome is lost on the way,
// the broker checks back with a live producer of the group, which answers
// from the key table; a commit whose own outcome is unknown (connection
// lost during COMMIT) returns ErrOutcomeUnknown and is resolved the same
// way. Cancelling ctx before the local commit rolls it back.
func (p *Producer) SendMessageInTransaction(ctx context.Context, m outbox.Message, fn TxFunc) (Result, error) {
	p.mu.Lock()
	tp := p.tp
	p.mu.Unlock()
	if tp == nil {
		return Result{}, ErrNotStarted
	}
	rec, err := outbox.NewRecord(p.codec, m, p.cfg.MaxPayloadSize)
	if err != nil {
		return Result{}, fmt.Errorf("txcheck: %w", err)
	}
	c := &call{ctx: ctx, fn: fn, rec: rec, db: p.dbFor(rec.Topic)}
	if _, loaded := p.calls.LoadOrStore(rec.Key, c); loaded {
		return Result{}, fmt.Errorf("txcheck: key %s is already being sent", rec.Key)
	}
	defer p.calls.Delete(rec.Key)
	res, err := tp.SendMessageInTransaction(ctx, rec.Message())
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s: %w", ErrHalfMessage, m.Destination, err)
	}
	if c.panicked != nil {
		panic(c.panicked)
	}
	out := Result{Key: rec.Key, State: fromLocal(res.State)}
	if res.SendResult != nil {
		out.MsgID = res.MsgID
	}
	if !c.ran {
		return out, fmt.Errorf("%w: %s: the broker answered %v", ErrHalfMessage, m.Destination, res.Status)
	}
	return out, c.err
}

func fromLocal(s primitive.LocalTransactionState) State {
	switch s {
	case primitive.CommitMessageState:
		return Commit
	case primitive.RollbackMessageState:
		return Rollback
	}
	return Unknown
}

// runLocal runs a call's local transaction.
func (p *Producer) runLocal(c *call) (st State) {
	c.ran = true
	tx, err := c.db.BeginTx(c.ctx, nil)
	if err != nil {
		c.err = fmt.Errorf("txcheck: begin local transaction: %w", err)
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
			cause = errors.Join(cause, fmt.Errorf("txcheck: roll back: %w", err))
		}
		c.err = cause
		return Rollback
	}
	if err := c.fn(c.ctx, tx); err != nil {
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
		return rollback(fmt.Errorf("txcheck: record key %s: %w", r.Key, err))
	}
	done = true
	if err := tx.Commit(); err != nil {
		if c.ctx.Err() != nil || errors.Is(err, sql.ErrTxDone) {
			c.err = fmt.Errorf("txcheck: commit: %w", err) // rolled back by database/sql
			return Rollback
		}
		c.err = fmt.Errorf("%w: commit: %w", ErrOutcomeUnknown, err)
		return Unknown
	}
	return Commit
}

// listener is the official producer's TransactionListener; it routes each
// call by key (local transactions) or topic (check-backs).
type listener struct{ p *Producer }

var _ primitive.TransactionListener = (*listener)(nil)

// ExecuteLocalTransaction runs the local transaction of the
// SendInTransaction call that sent msg.
func (l *listener) ExecuteLocalTransaction(msg *primitive.Message) primitive.LocalTransactionState {
	if msg.GetProperty(probeProperty) != "" {
		return primitive.RollbackMessageState
	}
	key := msg.GetProperty(outbox.KeyProperty)
	v, ok := l.p.calls.Load(key)
	if !ok {
		l.p.log.Error("txcheck: local transaction for an unknown key", "topic", msg.Topic, "key", key)
		return primitive.UnkonwnState
	}
	st := l.p.runLocal(v.(*call))
	if h := l.p.hooks.afterLocal; h != nil {
		st = h(key, st)
	}
	return st.local()
}

// CheckLocalTransaction answers a check-back from the topic's checker.
func (l *listener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	if m.GetProperty(probeProperty) != "" {
		return primitive.RollbackMessageState
	}
	p := l.p
	key := m.GetProperty(outbox.KeyProperty)
	checker := p.checkerFor(m.Topic)
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.CheckTimeout)
	defer cancel()
	st, err := checker.Check(ctx, CheckParams{Topic: m.Topic, Key: key, Born: time.UnixMilli(m.BornTimestamp), Message: m})
	if err != nil {
		p.log.Warn("txcheck: check-back failed; answering unknown", "topic", m.Topic, "key", key, "error", err)
		return primitive.UnkonwnState
	}
	p.log.Debug("txcheck: check-back answered", "topic", m.Topic, "key", key, "state", st)
	return st.local()
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
