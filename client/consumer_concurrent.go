package client

import (
	"context"
	"runtime/debug"
	"slices"
	"sync"
)

// consumeTask is one handler call's worth of messages of one queue.
type consumeTask struct {
	q    *pullQueue
	msgs []*MessageExt
}

// taskQueue is the concurrent consumer's FIFO of handler calls to make,
// shared by its workers. Pull loops never block on it: flow control bounds
// it (PullThresholdPerQueue per queue).
type taskQueue struct {
	wake chan struct{} // buffered 1: tasks were pushed

	mu     sync.Mutex
	tasks  []consumeTask // guarded by mu
	closed bool          // guarded by mu
}

func newTaskQueue() *taskQueue { return &taskQueue{wake: make(chan struct{}, 1)} }

func (tq *taskQueue) push(t consumeTask) {
	tq.mu.Lock()
	if tq.closed {
		tq.mu.Unlock()
		return
	}
	tq.tasks = append(tq.tasks, t)
	tq.mu.Unlock()
	signal(tq.wake)
}

// pop takes the oldest task. A worker that takes one while more wait wakes
// another, so one signal per push is enough however many workers sleep.
func (tq *taskQueue) pop() (consumeTask, bool) {
	tq.mu.Lock()
	if tq.closed || len(tq.tasks) == 0 {
		tq.mu.Unlock()
		return consumeTask{}, false
	}
	t := tq.tasks[0]
	tq.tasks[0] = consumeTask{}
	tq.tasks = tq.tasks[1:]
	more := len(tq.tasks) > 0
	tq.mu.Unlock()
	if more {
		signal(tq.wake)
	}
	return t, true
}

// close discards the tasks not started; nil-safe.
func (tq *taskQueue) close() {
	if tq == nil {
		return
	}
	tq.mu.Lock()
	tq.closed = true
	tq.tasks = nil
	tq.mu.Unlock()
}

// worker is one of the Concurrency goroutines of a concurrent consumer.
func (c *Consumer) worker() {
	for {
		t, ok := c.tasks.pop()
		if !ok {
			select {
			case <-c.tasks.wake:
				continue
			case <-c.life.Done():
				return
			}
		}
		if c.life.Err() != nil {
			return
		}
		c.consumeConcurrently(t)
	}
}

// consumeConcurrently calls the handler with a task's messages and acts on
// the result: success commits them, anything else retries or dead-letters
// them (consumer_retry.go).
func (c *Consumer) consumeConcurrently(t consumeTask) {
	q := t.q
	if !q.begin() {
		return // dropped: left uncommitted, the queue's next owner gets them
	}
	defer q.inflight.Done()
	res := c.callHandler(c.handlerCtx, t.msgs)
	if c.handlerCtx.Err() != nil {
		return // Close gave up on this call: its result is ignored
	}
	switch res {
	case ConsumeSuccess:
		q.finish(t.msgs)
	case ConsumeDeadLetter:
		c.deadLetter(q, t.msgs)
	default:
		c.retry(q, t.msgs)
	}
}

// callHandler calls the handler with a copy of msgs (the slice, not the
// messages), turning a panic or an unknown result into ConsumeRetry.
func (c *Consumer) callHandler(ctx context.Context, msgs []*MessageExt) (res ConsumeResult) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panicked; its messages count as ConsumeRetry", "panic", r,
				"topic", msgs[0].Topic, "queue_id", msgs[0].Queue.QueueID, "offset", msgs[0].QueueOffset,
				"msg_id", msgs[0].MsgID, "stack", string(debug.Stack()))
			res = ConsumeRetry
		}
	}()
	res = c.h(ctx, slices.Clone(msgs))
	switch res {
	case ConsumeSuccess, ConsumeRetry, ConsumeDeadLetter:
	default:
		c.log.Warn("handler returned an unknown result; counted as ConsumeRetry", "result", res,
			"topic", msgs[0].Topic, "msg_id", msgs[0].MsgID)
		res = ConsumeRetry
	}
	return res
}
