package broker

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// opTopic records how each half message ended (commit, rollback, discard),
// so pending transactions can be rebuilt after a restart.
const opTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC"

// Outcomes recorded on opTopic (its TAGS).
const (
	outcomeCommit   = "commit"
	outcomeRollback = "rollback"
	outcomeDiscard  = "discard"
)

// halfMessage is a transactional message waiting for its outcome.
type halfMessage struct {
	offset      int64 // commit-log offset of the half record
	queueOffset int64 // in the half queue
	stored      time.Time
	group       string // PGROUP
	topic       string // REAL_TOPIC
	key         string // UNIQ_KEY
	immunity    time.Duration
	checks      int
	lastCheck   time.Time
}

// transactions tracks half messages (RocketMQ's TransactionalMessageService):
// they are stored invisibly in RMQ_SYS_TRANS_HALF_TOPIC; END_TRANSACTION
// commits (re-appends to the real topic) or rolls back; those left unknown
// are checked back with a live producer of their group once older than
// TransactionTimeout, every TransactionCheckInterval, at most
// TransactionCheckMax times, then discarded.
type transactions struct {
	cfg       Config // TransactionTimeout, TransactionCheckInterval, TransactionCheckMax, BrokerName
	storeHost netip.AddrPort
	store     *store.Store // the half and op queues
	put       putter       // stores committed messages
	producers producerFinder
	log       *slog.Logger

	mu        sync.Mutex
	pending   map[int64]*halfMessage // by commit-log offset; guarded by mu
	discarded atomic.Int64
	checked   atomic.Int64
}

// producerFinder finds a live producer of a group to check a transaction
// back with (the client table).
type producerFinder interface {
	producerConn(group string) *conn
}

func newTransactions(cfg Config, storeHost netip.AddrPort, st *store.Store, put putter, producers producerFinder,
	log *slog.Logger) *transactions {
	return &transactions{cfg: cfg, storeHost: storeHost, store: st, put: put, producers: producers, log: log,
		pending: make(map[int64]*halfMessage)}
}

// recover rebuilds the pending set from the half and op queues.
func (t *transactions) recover() error {
	resolved := make(map[int64]bool)
	err := t.scan(opTopic, func(m *message.Ext) {
		if len(m.Body) == 8 {
			resolved[int64(binary.BigEndian.Uint64(m.Body))] = true
		}
	})
	if err != nil {
		return err
	}
	err = t.scan(halfTopic, func(m *message.Ext) {
		if !resolved[m.CommitLogOffset] {
			t.add(m)
		}
	})
	if err != nil {
		return err
	}
	if n := len(t.pending); n > 0 {
		t.log.Info("pending transactions recovered", "count", n)
	}
	return nil
}

// scan calls fn for every message in queue 0 of topic.
func (t *transactions) scan(topic string, fn func(*message.Ext)) error {
	var off int64
	for {
		res, err := t.store.Get(topic, 0, off, 256, nil, nil)
		if err != nil {
			return fmt.Errorf("broker: scan %s: %w", topic, err)
		}
		switch res.Status {
		case store.GetFound:
		case store.GetOffsetMoved:
			if res.NextBeginOffset <= off {
				return nil
			}
			off = res.NextBeginOffset
			continue
		default:
			return nil
		}
		for rest := res.Records; len(rest) > 0; {
			m, n, err := message.Decode(rest, false)
			if err != nil {
				return fmt.Errorf("broker: scan %s: %w", topic, err)
			}
			fn(&m)
			rest = rest[n:]
		}
		off = res.NextBeginOffset
	}
}

// prepareHalf rewrites a transactional message into its half form.
func prepareHalf(ext *message.Ext, uniq string) {
	props := keepRealDestination(ext.Properties, ext)
	ext.Properties = message.SetProperty(props, message.PropertyTransactionID, uniq)
	ext.SysFlag = message.SetTransactionType(ext.SysFlag, 0)
	ext.Topic, ext.QueueID = halfTopic, 0
}

// isTransactional reports whether a sent message is a half message.
func isTransactional(props string, sysFlag int32) bool {
	v, _ := message.GetProperty(props, message.PropertyTransactionPrepared)
	return v == "true" || message.TransactionType(sysFlag) == message.FlagTransactionPrepared
}

// add registers a stored half message.
func (t *transactions) add(m *message.Ext) {
	h := &halfMessage{offset: m.CommitLogOffset, queueOffset: m.QueueOffset, stored: time.UnixMilli(m.StoreTimestamp)}
	h.group, _ = message.GetProperty(m.Properties, message.PropertyProducerGroup)
	h.topic, _ = message.GetProperty(m.Properties, message.PropertyRealTopic)
	h.key, _ = message.GetProperty(m.Properties, message.PropertyUniqKey)
	if s, ok := message.GetProperty(m.Properties, message.PropertyCheckImmunitySeconds); ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			h.immunity = time.Duration(n) * time.Second
		}
	}
	t.mu.Lock()
	t.pending[h.offset] = h
	t.mu.Unlock()
}

// claim takes a pending half message out of the table, so exactly one of
// END_TRANSACTION, a check answer or the discarder resolves it.
func (t *transactions) claim(offset int64) *halfMessage {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.pending[offset]
	delete(t.pending, offset)
	return h
}

func (t *transactions) unclaim(h *halfMessage) {
	t.mu.Lock()
	t.pending[h.offset] = h
	t.mu.Unlock()
}

// end applies an END_TRANSACTION outcome. Unknown offsets (already
// resolved, or never half) are ignored: a commit and a later check answer
// for the same message may both arrive.
func (t *transactions) end(offset int64, group string, commit bool) error {
	h := t.claim(offset)
	if h == nil {
		return nil
	}
	if group != "" && h.group != "" && group != h.group {
		t.unclaim(h)
		return fmt.Errorf("%w: %q sent END_TRANSACTION for a message of %q", errGroupMismatch, group, h.group)
	}
	outcome := outcomeRollback
	if commit {
		outcome = outcomeCommit
		if err := t.commit(h); err != nil {
			t.unclaim(h)
			return err
		}
	}
	return t.record(h, outcome)
}

// commit appends the half message to its real topic.
func (t *transactions) commit(h *halfMessage) error {
	m, err := t.read(h)
	if err != nil {
		return err
	}
	qid, _ := message.GetProperty(m.Properties, message.PropertyRealQueueID)
	q, _ := strconv.Atoi(qid)
	out := &message.Ext{
		QueueID: int32(q), Flag: m.Flag, SysFlag: message.SetTransactionType(m.SysFlag, message.FlagTransactionCommit),
		BornTimestamp: m.BornTimestamp, BornHost: m.BornHost,
		ReconsumeTimes: m.ReconsumeTimes, PreparedTransactionOffset: h.offset, Body: m.Body, Topic: h.topic,
		Properties: message.DeleteProperties(m.Properties, message.PropertyRealTopic, message.PropertyRealQueueID,
			message.PropertyTransactionPrepared),
	}
	return t.put.put(out, true)
}

func (t *transactions) read(h *halfMessage) (message.Ext, error) {
	rec, err := t.store.ReadRecord(h.offset)
	if err != nil {
		return message.Ext{}, fmt.Errorf("read half message: %w", err)
	}
	m, _, err := message.Decode(rec, false)
	if err != nil {
		return message.Ext{}, fmt.Errorf("decode half message: %w", err)
	}
	return m, nil
}

// record appends the outcome to the op queue.
func (t *transactions) record(h *halfMessage, outcome string) error {
	var body [8]byte
	binary.BigEndian.PutUint64(body[:], uint64(h.offset))
	op := &message.Ext{Topic: opTopic, BornTimestamp: time.Now().UnixMilli(), StoreHost: t.storeHost,
		BornHost: t.storeHost, Body: body[:], Properties: message.SetProperty("", message.PropertyTags, outcome)}
	_, err := t.store.Append(context.Background(), []store.Entry{store.NewEntry(op, nil)})
	return err
}

// start runs the check-back loop until done is closed.
func (t *transactions) start(done <-chan struct{}, wg *sync.WaitGroup) {
	wg.Go(func() { t.checkLoop(done) })
}

// checkLoop checks back unresolved half messages until done is closed.
func (t *transactions) checkLoop(done <-chan struct{}) {
	tick := time.NewTicker(min(t.cfg.TransactionCheckInterval, t.cfg.TransactionTimeout, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			t.checkDue(now)
		}
	}
}

// checkDue sends CHECK_TRANSACTION_STATE for each half message that is old
// enough and not checked within the interval; it discards those checked
// TransactionCheckMax times.
func (t *transactions) checkDue(now time.Time) {
	cfg := t.cfg
	var due, expired []*halfMessage
	t.mu.Lock()
	for _, h := range t.pending {
		wait := max(cfg.TransactionTimeout, h.immunity)
		if now.Sub(h.stored) < wait || (!h.lastCheck.IsZero() && now.Sub(h.lastCheck) < cfg.TransactionCheckInterval) {
			continue
		}
		if h.checks >= cfg.TransactionCheckMax {
			expired = append(expired, h)
			continue
		}
		due = append(due, h)
	}
	t.mu.Unlock()

	for _, h := range expired {
		if t.claim(h.offset) == nil {
			continue
		}
		if err := t.record(h, outcomeDiscard); err != nil {
			t.unclaim(h)
			t.log.Error("record discarded transaction", "msg_id", h.key, "err", err)
			continue
		}
		t.discarded.Add(1)
		t.log.Warn("transaction discarded after the maximum number of checks", "topic", h.topic,
			"group", h.group, "msg_id", h.key, "checks", h.checks)
	}
	for _, h := range due {
		c := t.producers.producerConn(h.group)
		if c == nil {
			continue // no live producer of the group: try next round
		}
		if err := t.sendCheck(c, h); err != nil {
			t.log.Error("send transaction check", "msg_id", h.key, "err", err)
			continue
		}
		t.mu.Lock()
		h.checks++
		h.lastCheck = now
		t.mu.Unlock()
		t.checked.Add(1)
	}
}

// sendCheck sends one CHECK_TRANSACTION_STATE with the half message as body,
// shown under its real topic and queue.
func (t *transactions) sendCheck(c *conn, h *halfMessage) error {
	m, err := t.read(h)
	if err != nil {
		return err
	}
	qid, _ := message.GetProperty(m.Properties, message.PropertyRealQueueID)
	q, _ := strconv.Atoi(qid)
	m.Topic, m.QueueID = h.topic, int32(q)
	body := message.AppendEncode(nil, &m)
	offsetID := message.OffsetMsgID(t.storeHost, h.offset)
	c.sendOneway(remoting.CheckTransactionState, remoting.Fields{
		{Key: "topic", Value: h.topic},
		{Key: "tranStateTableOffset", Value: strconv.FormatInt(h.queueOffset, 10)},
		{Key: "commitLogOffset", Value: strconv.FormatInt(h.offset, 10)},
		{Key: "msgId", Value: h.key},
		{Key: "transactionId", Value: h.key},
		{Key: "offsetMsgId", Value: offsetID},
		{Key: "bname", Value: t.cfg.BrokerName},
	}, body)
	return nil
}

// pendingByTopic counts unresolved half messages per real topic.
func (t *transactions) pendingByTopic() map[string]int {
	out := make(map[string]int)
	t.mu.Lock()
	for _, h := range t.pending {
		out[h.topic]++
	}
	t.mu.Unlock()
	return out
}
