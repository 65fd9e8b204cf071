package rkotel_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	rkotel "github.com/rocketkit/rocketkit/otel"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// notYet is the error the listener fails with once; its ErrorType names
// it in error.type.
type notYet struct{}

func (notYet) Error() string     { return "not yet" }
func (notYet) ErrorType() string { return "not_yet" }

type OtelOrders struct {
	listener.Concurrent `topic:"otel-orders" tags:"created" group:"otel-orders-cg"`
	seen                *handled
	fails               atomic.Int32
}

func (l *OtelOrders) Handle(ctx context.Context, m *listener.Message) error {
	l.seen.add(ctx, m)
	if l.fails.Add(-1) >= 0 {
		return notYet{}
	}
	return nil
}

// A Template send and the listener's handling of that message are one
// trace: the PRODUCER span "send otel-orders" is a child of the caller's
// span, carries the messaging attributes and the message id, and each
// delivery (a failed one, then its retry) is a CONSUMER span
// "process otel-orders", a child of the send span and linked to it, whose
// context the handler gets. Metrics count exactly one send and the two
// handler calls by outcome.
func TestSendAndHandleAreOneTrace(t *testing.T) {
	tel := newTelemetry(t)
	seen := newHandled()
	l := &OtelOrders{seen: seen}
	l.fails.Store(1)
	app := startertest.New(t,
		startertest.Config(map[string]any{"rocketmq.consumer.consume-from-where": "first"}),
		startertest.Fx(rkotel.Module(tel.tp, tel.mp)),
		startertest.Listener(func() *OtelOrders { return l }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, req := tel.tp.Tracer("test").Start(ctx, "place order")
	res, err := app.Template.Send(ctx, "otel-orders:created", "o-1", starter.WithKeys("o-1"))
	req.End()
	if err != nil {
		t.Fatal(err)
	}
	calls := seen.wait(t, 2)

	send := tel.waitSpan(t, "send otel-orders", nil)
	wantChild(t, send, req.SpanContext())
	if send.SpanKind() != trace.SpanKindProducer {
		t.Errorf("send span kind %v, want producer", send.SpanKind())
	}
	wantAttrs(t, send, map[string]string{
		"messaging.system": "rocketmq", "messaging.operation.type": "send", "messaging.operation.name": "send",
		"messaging.destination.name": "otel-orders", "messaging.message.id": res.MsgID,
		"messaging.rocketmq.message.tag": "created", "messaging.rocketmq.message.keys": `["o-1"]`,
		"messaging.rocketmq.message.type": "normal", "rocketkit.send.mode": "sync", "rocketkit.send.status": "SEND_OK",
	})

	waitUntil(t, 30*time.Second, func() bool { return len(tel.named("process otel-orders")) == 2 },
		func() string { return "two process spans; ended: " + spanNames(tel.spans.Ended()) })
	procs := tel.named("process otel-orders")
	for i, p := range procs {
		wantChild(t, p, send.SpanContext())
		wantLink(t, p, send.SpanContext())
		if p.SpanKind() != trace.SpanKindConsumer {
			t.Errorf("process span kind %v, want consumer", p.SpanKind())
		}
		if !calls[i].Equal(p.SpanContext()) {
			t.Errorf("handler call %d ran in span %s, want the process span %s", i, calls[i].SpanID(), p.SpanContext().SpanID())
		}
		wantAttrs(t, p, map[string]string{
			"messaging.system": "rocketmq", "messaging.operation.type": "process",
			"messaging.destination.name": "otel-orders", "messaging.consumer.group.name": "otel-orders-cg",
			"messaging.message.id": res.MsgID, "messaging.rocketmq.message.tag": "created",
			"messaging.rocketmq.consumption_model": "clustering",
		})
	}
	wantAttrs(t, procs[0], map[string]string{"rocketkit.outcome": "retry", "error.type": "not_yet", "rocketkit.message.reconsume_times": "0"})
	wantAttrs(t, procs[1], map[string]string{"rocketkit.outcome": "success", "error.type": "", "rocketkit.message.reconsume_times": "1"})
	if procs[0].Status().Code != codes.Error || procs[1].Status().Code != codes.Unset {
		t.Errorf("process span statuses %v, %v; want Error, then Unset", procs[0].Status(), procs[1].Status())
	}

	const group = "messaging.consumer.group.name=otel-orders-cg,messaging.destination.name=otel-orders," +
		"messaging.operation.name=process,messaging.operation.type=process,"
	waitUntil(t, 30*time.Second, func() bool { return len(points(tel.metrics(t)["messaging.client.consumed.messages"])) == 2 },
		func() string { return "two consumed data points" })
	all := tel.metrics(t)
	const sent = "messaging.destination.name=otel-orders,messaging.operation.name=send,messaging.operation.type=send,rocketkit.send.mode=sync → 1"
	wantPoints(t, all, "messaging.client.sent.messages", sent)
	wantPoints(t, all, "messaging.client.operation.duration", sent)
	wantPoints(t, all, "messaging.client.consumed.messages",
		"error.type=not_yet,"+group+"rocketkit.outcome=retry → 1", group+"rocketkit.outcome=success → 1")
	wantPoints(t, all, "messaging.process.duration",
		"error.type=not_yet,"+group+"rocketkit.outcome=retry → 1", group+"rocketkit.outcome=success → 1")
}
