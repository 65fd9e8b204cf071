package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TransactionState is the outcome of a local transaction, as told to the
// broker.
type TransactionState int

const (
	// UnknownTransaction leaves the half message pending: the broker asks
	// the group's TransactionChecker later.
	UnknownTransaction TransactionState = iota
	// CommitTransaction makes the message visible to consumers.
	CommitTransaction
	// RollbackTransaction drops the message.
	RollbackTransaction
)

// String returns "COMMIT", "ROLLBACK" or "UNKNOWN".
func (s TransactionState) String() string {
	switch s {
	case CommitTransaction:
		return "COMMIT"
	case RollbackTransaction:
		return "ROLLBACK"
	}
	return "UNKNOWN"
}

// wireState is END_TRANSACTION's commitOrRollback.
func (s TransactionState) wireState() string {
	switch s {
	case CommitTransaction:
		return "8"
	case RollbackTransaction:
		return "12"
	}
	return "0"
}

// TransactionChecker answers a broker's check-back for a half message whose
// outcome it never heard (the producer crashed, or answered Unknown). Check
// runs on a goroutine of its own per check, so it must be safe for
// concurrent use; ctx ends when the client closes.
type TransactionChecker interface {
	Check(ctx context.Context, m *MessageExt) TransactionState
}

// TransactionCheckerFunc adapts a function to TransactionChecker.
type TransactionCheckerFunc func(ctx context.Context, m *MessageExt) TransactionState

// Check calls f.
func (f TransactionCheckerFunc) Check(ctx context.Context, m *MessageExt) TransactionState {
	return f(ctx, m)
}

// TopicCheckers routes check-backs by the message's topic, for a producer
// group whose transactions span topics with different checkers; Default
// (when set) answers for other topics, else they stay Unknown.
type TopicCheckers struct {
	ByTopic map[string]TransactionChecker
	Default TransactionChecker
}

// Check calls the checker for m.Topic.
func (t TopicCheckers) Check(ctx context.Context, m *MessageExt) TransactionState {
	if c := t.ByTopic[m.Topic]; c != nil {
		return c.Check(ctx, m)
	}
	if t.Default != nil {
		return t.Default.Check(ctx, m)
	}
	return UnknownTransaction
}

// NewTransactionProducer returns a producer that can SendInTransaction;
// checker answers the broker's check-backs for cfg.Group's half messages.
func (c *Client) NewTransactionProducer(cfg ProducerConfig, checker TransactionChecker) (*Producer, error) {
	if checker == nil {
		return nil, errors.New("client: a transaction producer needs a TransactionChecker")
	}
	return c.newProducer(cfg, checker)
}

// SendInTransaction sends msg as a half message (stored, invisible), runs
// execute, and tells the broker its answer: Commit makes the message
// visible, Rollback drops it, Unknown leaves it to the check-back. When
// the half message is not stored, execute is not run and the error is
// returned; when it is stored but not with SendOK (a sync flush or
// replication timed out), the transaction is rolled back without running
// execute, as the Java client does. The state returned is what was told to
// the broker.
func (p *Producer) SendInTransaction(ctx context.Context, msg *Message,
	execute func(ctx context.Context, res *SendResult) TransactionState) (*SendResult, TransactionState, error) {
	if p.checker == nil {
		return nil, UnknownTransaction, errors.New("client: SendInTransaction needs a producer from NewTransactionProducer")
	}
	if msg != nil && (msg.DelayLevel != 0 || !msg.DeliverAt.IsZero()) {
		return nil, UnknownTransaction, errors.New("client: a transactional message cannot be delayed")
	}
	req, err := p.prepare(msg, message.FlagTransactionPrepared)
	if err != nil {
		return nil, UnknownTransaction, err
	}
	req.props = message.SetProperty(req.props, message.PropertyTransactionPrepared, "true")
	req.props = message.SetProperty(req.props, message.PropertyProducerGroup, p.group)
	res, err := p.sendWithRetries(ctx, msg, req, nil)
	if err != nil {
		return nil, UnknownTransaction, err
	}
	state := RollbackTransaction
	if res.Status == SendOK {
		state = execute(ctx, res)
	}
	if err := p.endTransaction(ctx, res, state); err != nil {
		return res, state, fmt.Errorf("client: tell the broker %s for message %s: %w", state, res.MsgID, err)
	}
	return res, state, nil
}

// endTransaction sends END_TRANSACTION for a half message just sent.
func (p *Producer) endTransaction(ctx context.Context, res *SendResult, state TransactionState) error {
	_, offset, err := message.ParseOffsetMsgID(res.OffsetMsgID)
	if err != nil {
		return fmt.Errorf("broker's message id %q: %w", res.OffsetMsgID, err)
	}
	addr, err := p.c.masterAddr(res.Queue.BrokerName)
	if err != nil {
		return err
	}
	return p.c.oneway(ctx, addr, remoting.NewClientRequest(remoting.EndTransaction, remoting.Fields{
		{Key: "producerGroup", Value: p.group},
		{Key: "tranStateTableOffset", Value: strconv.FormatInt(res.QueueOffset, 10)},
		{Key: "commitLogOffset", Value: strconv.FormatInt(offset, 10)},
		{Key: "commitOrRollback", Value: state.wireState()},
		{Key: "fromTransactionCheck", Value: "false"},
		{Key: "msgId", Value: res.MsgID},
		{Key: "transactionId", Value: res.TransactionID},
		{Key: "bname", Value: res.Queue.BrokerName},
	}, nil))
}

// checkTransaction answers a check-back on the connection it came on.
func (p *Producer) checkTransaction(ctx context.Context, conn *rpc.Conn, req *remoting.Command, m *MessageExt) {
	if p.checker == nil || p.closed.Load() {
		return
	}
	p.wg.Add(1)
	defer p.wg.Done()
	state := p.checker.Check(ctx, m)
	f := req.ExtFields
	txID := m.Property(propertyTransactionIDJava)
	if txID == "" {
		txID = f.Get("transactionId")
	}
	if txID == "" {
		txID = m.MsgID
	}
	err := conn.Oneway(ctx, remoting.NewClientRequest(remoting.EndTransaction, remoting.Fields{
		{Key: "producerGroup", Value: p.group},
		{Key: "tranStateTableOffset", Value: f.Get("tranStateTableOffset")},
		{Key: "commitLogOffset", Value: f.Get("commitLogOffset")},
		{Key: "commitOrRollback", Value: state.wireState()},
		{Key: "fromTransactionCheck", Value: "true"},
		{Key: "msgId", Value: m.MsgID},
		{Key: "transactionId", Value: txID},
		{Key: "bname", Value: ""},
	}, nil))
	if err != nil {
		p.c.log.Warn("answer transaction check", "group", p.cfg.Group, "msg_id", m.MsgID, "err", err)
	}
}
