package official

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/client"
)

// txProducer is the official transactional producer of a prod, with the
// listener the official client calls: ExecuteLocalTransaction for a half
// message just stored (it runs the execute function of the
// SendInTransaction call that sent it), CheckLocalTransaction for a
// check-back (it asks the TransactionChecker).
type txProducer struct {
	p       *prod
	checker client.TransactionChecker
	tp      rocketmq.TransactionProducer

	calls sync.Map // *primitive.Message -> *txCall, the SendInTransaction calls in flight
	first firstSends

	life      context.Context // checkers' ctx, cancelled by close
	stopLife  context.CancelFunc
	checks    sync.WaitGroup // checker calls in flight
	lastCheck atomic.Int64   // unix nanos of the last check answered; 0: none
}

// txCall is one SendInTransaction call.
type txCall struct {
	ctx     context.Context
	execute func(ctx context.Context, res *client.SendResult) client.TransactionState
	res     *primitive.SendResult // the half message's send result, caught by intercept
	through func()                // tells firstSends the half message got through, called by intercept
	state   client.TransactionState
	err     error
}

var _ primitive.TransactionListener = (*txProducer)(nil)

func newTxProducer(p *prod, checker client.TransactionChecker) (*txProducer, error) {
	t := &txProducer{p: p, checker: checker}
	t.life, t.stopLife = context.WithCancel(context.Background())
	opts := append(p.options(p.cfg.Group), producer.WithInterceptor(t.intercept))
	tp, err := rocketmq.NewTransactionProducer(t, opts...)
	if err != nil {
		t.stopLife()
		return nil, fmt.Errorf("official: new transaction producer %s: %w", p.cfg.Group, err)
	}
	if err := tp.Start(); err != nil {
		_ = tp.Shutdown()
		t.stopLife()
		return nil, fmt.Errorf("official: start transaction producer %s: %w", p.cfg.Group, err)
	}
	t.tp = tp
	return t, nil
}

// SendInTransaction sends msg as a half message, runs execute and tells
// the broker its answer, as client.Producer.SendInTransaction does; a half
// message stored but not with SendOK is rolled back without running
// execute. The official client does not report a failure to tell the
// broker (END_TRANSACTION is one-way): the check-back covers it.
func (p *prod) SendInTransaction(ctx context.Context, msg *client.Message,
	execute func(ctx context.Context, res *client.SendResult) client.TransactionState) (*client.SendResult, client.TransactionState, error) {
	if p.tx == nil {
		return nil, client.UnknownTransaction, errors.New("official: SendInTransaction needs a producer from NewTransactionProducer")
	}
	if err := p.enter(); err != nil {
		return nil, client.UnknownTransaction, err
	}
	defer p.sends.Done()
	if msg != nil && (msg.DelayLevel != 0 || !msg.DeliverAt.IsZero()) {
		return nil, client.UnknownTransaction, errors.New("official: a transactional message cannot be delayed")
	}
	if err := checkMessage(msg, p.cfg.MaxMessageSize); err != nil {
		return nil, client.UnknownTransaction, err
	}
	pm := toPrimitive(msg)
	call := &txCall{ctx: ctx, execute: execute, state: client.RollbackTransaction}
	p.tx.calls.Store(pm, call)
	defer p.tx.calls.Delete(pm)
	var r *primitive.TransactionSendResult
	err := p.tx.first.do(ctx, msg.Topic, func(through func()) (err error) {
		call.through = through // before execute runs: it may send to the topic too
		r, err = p.tx.tp.SendMessageInTransaction(ctx, pm)
		return err
	})
	if err != nil {
		return nil, client.UnknownTransaction, fmt.Errorf("official: send to %s: %w", msg.Topic, err)
	}
	if call.err != nil {
		return nil, client.UnknownTransaction, call.err
	}
	res, err := p.b.sendResult(r.SendResult)
	if err != nil {
		return nil, client.UnknownTransaction, err
	}
	return res, fromLocalState(r.State), nil
}

// intercept is the transactional producer's interceptor: it catches the
// send result of a half message for ExecuteLocalTransaction, which the
// official client gives only the message, and lets the topic's other
// first sends go once the half message got through.
func (t *txProducer) intercept(ctx context.Context, req, reply any, next primitive.Invoker) error {
	err := next(ctx, req, reply)
	if pm, ok := req.(*primitive.Message); ok {
		if v, ok := t.calls.Load(pm); ok {
			call := v.(*txCall)
			if r, ok := reply.(*primitive.SendResult); ok {
				call.res = r
			}
			if err == nil && call.through != nil {
				call.through()
			}
		}
	}
	return err
}

// ExecuteLocalTransaction runs the execute function of the call that sent
// pm, on the caller's goroutine.
func (t *txProducer) ExecuteLocalTransaction(pm *primitive.Message) primitive.LocalTransactionState {
	v, ok := t.calls.Load(pm)
	if !ok {
		return primitive.UnkonwnState // not ours: leave it to the check-back
	}
	call := v.(*txCall)
	res, err := t.p.b.sendResult(call.res)
	if err != nil {
		call.err = err
		return primitive.UnkonwnState
	}
	call.state = call.execute(call.ctx, res)
	return toLocalState(call.state)
}

// CheckLocalTransaction answers a check-back with the checker. The
// official client asks on one goroutine, one check at a time.
func (t *txProducer) CheckLocalTransaction(e *primitive.MessageExt) primitive.LocalTransactionState {
	t.p.mu.Lock()
	closed := t.p.closed
	if !closed {
		t.checks.Add(1)
	}
	t.p.mu.Unlock()
	if closed {
		return primitive.UnkonwnState
	}
	defer t.checks.Done()
	defer t.lastCheck.Store(time.Now().UnixNano())
	return toLocalState(t.checker.Check(t.life, t.p.b.fromExt(e)))
}

// close waits for running checkers and, when any check was answered, lets
// the answer reach the broker (settle), then shuts the producer down.
func (t *txProducer) close() error {
	t.checks.Wait()
	t.stopLife()
	if last := t.lastCheck.Load(); last != 0 {
		t.p.b.settle(time.Unix(0, last), time.Time{})
	}
	return t.tp.Shutdown()
}

func toLocalState(s client.TransactionState) primitive.LocalTransactionState {
	switch s {
	case client.CommitTransaction:
		return primitive.CommitMessageState
	case client.RollbackTransaction:
		return primitive.RollbackMessageState
	}
	return primitive.UnkonwnState
}

func fromLocalState(s primitive.LocalTransactionState) client.TransactionState {
	switch s {
	case primitive.CommitMessageState:
		return client.CommitTransaction
	case primitive.RollbackMessageState:
		return client.RollbackTransaction
	}
	return client.UnknownTransaction
}
