package transporttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// holdDuringClose is how long testShutdownDrain keeps a handler running
// while Close waits for it.
const holdDuringClose = 2 * time.Second

// testShutdownDrain: Close waits for a handler call in flight, the call
// finishes, and its message, consumed, is not delivered again to the next
// member of the group.
func testShutdownDrain(t *testing.T, e *env) {
	topic := e.topic("drain", 1) // one queue, one handler goroutine: delivered in offset order
	group := name("g")
	p := e.producer()

	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	var once sync.Once
	first := newInbox()
	a := e.consumer(client.ConsumerConfig{Group: group, Concurrency: 1, Subscriptions: sub(topic)},
		func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			first.handler("a", nil)(ctx, msgs)
			if string(msgs[0].Body) == "held" {
				once.Do(func() {
					close(entered)
					<-release
					finished.Store(true)
				})
			}
			return client.ConsumeSuccess
		})
	e.send(p, &client.Message{Topic: topic, Body: []byte("held")})
	select {
	case <-entered:
	case <-time.After(e.s.wait):
		t.Fatalf("the message was not delivered in %v", e.s.wait)
	}

	closed := make(chan error, 1)
	var finishedAtClose atomic.Bool
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.s.wait)
		defer cancel()
		err := a.Close(ctx)
		finishedAtClose.Store(finished.Load())
		closed <- err
	}()
	// Hold the handler for a while: Close must not return meanwhile, and a
	// backend that settles before it shuts down (the official one waits
	// over a second) must not hide that it does not wait for handlers.
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a handler call was running", err)
	case <-time.After(holdDuringClose):
	}
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(2 * e.s.wait):
		t.Fatalf("Close did not return in %v after the handler finished", 2*e.s.wait)
	}
	if !finishedAtClose.Load() {
		t.Error("Close returned before the handler call in flight finished")
	}

	next := newInbox()
	e.consumer(client.ConsumerConfig{Group: group, Concurrency: 1, Subscriptions: sub(topic)}, next.handler("b", nil))
	e.send(p, &client.Message{Topic: topic, Body: []byte("after")})
	got := next.waitBodies(t, e.s.wait, "after")
	if n := count(got, "held"); n != 0 {
		t.Errorf("the message handled during Close was delivered again to the next member: %s", bodies(got))
	}
}

// testCloseTimeout: when Close's ctx ends before a handler call returns,
// Close cancels the call's ctx and returns ctx's error, and what the call
// then returns is ignored: the group's next member gets the message again.
func testCloseTimeout(t *testing.T, e *env) {
	topic := e.topic("giveup", 1)
	group := name("g")
	p := e.producer()

	entered, cancelled := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := e.consumer(client.ConsumerConfig{Group: group, Concurrency: 1, Subscriptions: sub(topic)},
		func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			if string(msgs[0].Body) == "stuck" {
				once.Do(func() {
					close(entered)
					<-ctx.Done()
					close(cancelled)
				})
			}
			return client.ConsumeSuccess
		})
	e.send(p, &client.Message{Topic: topic, Body: []byte("stuck")})
	select {
	case <-entered:
	case <-time.After(e.s.wait):
		t.Fatalf("the message was not delivered in %v", e.s.wait)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := a.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a handler that outlives its ctx: %v, want an error wrapping context.DeadlineExceeded", err)
	}
	select {
	case <-cancelled:
	case <-time.After(e.s.wait):
		t.Fatal("the handler's ctx was not cancelled when Close gave up on it")
	}

	next := newInbox()
	e.consumer(client.ConsumerConfig{Group: group, Concurrency: 1, Subscriptions: sub(topic)}, next.handler("b", nil))
	next.waitBodies(t, e.s.wait, "stuck")
}

// testLifecycle: the errors and idempotence of Start and Close.
func testLifecycle(t *testing.T, e *env) {
	topic := e.topic("life", 1)
	nop := func(context.Context, []*client.MessageExt) client.ConsumeResult { return client.ConsumeSuccess }

	if _, err := e.backend.NewConsumer(client.ConsumerConfig{Group: name("g")}, nop); err == nil {
		t.Error("NewConsumer accepted a config without subscriptions")
	}
	if _, err := e.backend.NewConsumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, nil); err == nil {
		t.Error("NewConsumer accepted a nil handler")
	}
	if _, err := e.backend.NewProducer(client.ProducerConfig{}); err == nil {
		t.Error("NewProducer accepted a config without group")
	}

	never, err := e.backend.NewConsumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, nop)
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	if err := never.Close(e.ctx()); err != nil {
		t.Errorf("Close of a consumer never started: %v", err)
	}
	if err := never.Start(e.ctx()); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Start after Close: %v, want client.ErrClosed", err)
	}

	c := e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, nop)
	if err := c.Start(e.ctx()); !errors.Is(err, client.ErrAlreadyStarted) {
		t.Errorf("second Start: %v, want client.ErrAlreadyStarted", err)
	}
	e.close(c)
	if err := c.Close(e.ctx()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Start(e.ctx()); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Start after Close: %v, want client.ErrClosed", err)
	}

	p := e.producer()
	msg := &client.Message{Topic: topic, Body: []byte("x")}
	e.send(p, msg)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Send(e.ctx(), msg); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Send after Close: %v, want client.ErrClosed", err)
	}
	if err := p.SendOneway(e.ctx(), msg); !errors.Is(err, client.ErrClosed) {
		t.Errorf("SendOneway after Close: %v, want client.ErrClosed", err)
	}
	done := make(chan error, 1)
	p.SendAsync(e.ctx(), msg, func(_ *client.SendResult, err error) { done <- err })
	if err := <-done; !errors.Is(err, client.ErrClosed) {
		t.Errorf("SendAsync after Close: %v, want client.ErrClosed", err)
	}
	if _, err := p.SendBatch(e.ctx(), []*client.Message{msg}); !errors.Is(err, client.ErrClosed) {
		t.Errorf("SendBatch after Close: %v, want client.ErrClosed", err)
	}
	if _, _, err := p.SendInTransaction(e.ctx(), msg, nil); err == nil {
		t.Error("SendInTransaction on a plain producer succeeded")
	}
}

// testBrokerRestart: a producer and a consumer keep working across a
// restart of the broker (same address, same data).
func testBrokerRestart(t *testing.T, e *env) {
	topic := e.topic("restart", 1)
	p := e.producer()
	in := newInbox()
	c := e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, in.handler("c", nil))
	e.send(p, &client.Message{Topic: topic, Body: []byte("before")})
	in.waitBodies(t, e.s.wait, "before")

	addr, dir := e.b.Addr(), e.b.Config().DataDir
	if err := e.b.Close(); err != nil {
		t.Fatalf("close broker: %v", err)
	}
	e.b = e.startBroker(addr, dir)

	// The first sends may meet a connection the restart broke; the
	// producer must recover within the wait.
	deadline := time.Now().Add(e.s.restartWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := p.Send(ctx, &client.Message{Topic: topic, Body: []byte("after")})
		cancel()
		if err == nil && res.Status == client.SendOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no send succeeded in %v after the broker restarted: %v", e.s.restartWait, err)
		}
		t.Logf("send after restart: %v (retrying)", err)
		time.Sleep(100 * time.Millisecond)
	}
	in.waitBodies(t, e.s.restartWait, "after")

	// Close them while the new broker runs (its cleanup comes first).
	e.close(c)
	if err := p.Close(); err != nil {
		t.Errorf("close producer: %v", err)
	}
}
