package rkotel_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	rkotel "github.com/rocketkit/rocketkit/otel"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"github.com/rocketkit/rocketkit/txcheck"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
)

type OtelPaid struct {
	listener.Concurrent `topic:"otel-paid" group:"otel-paid-cg"`
	seen                *handled
}

func (l *OtelPaid) Handle(ctx context.Context, m *listener.Message) error {
	l.seen.add(ctx, m)
	return nil
}

// A message published to the outbox inside the writer's transaction is
// one trace from the writer's span through the relay's send to the
// listener: the row's properties hold the writer's trace context, the
// relay's PRODUCER span is the writer span's child, and the listener's
// CONSUMER span the relay span's. The relay's rows are counted exactly
// (one claimed, one sent) and the backlog gauge reads the empty table.
func TestOutboxIsOneTraceFromWriterToListener(t *testing.T) {
	tel := newTelemetry(t)
	db := outboxtest.Open(t)
	seen := newHandled()
	var pub *outbox.Publisher
	startertest.New(t,
		startertest.Config(map[string]any{"rocketmq.consumer.consume-from-where": "first"}),
		startertest.Fx(rkotel.Module(tel.tp, tel.mp), starter.Outbox(outbox.Config{Table: "otel_outbox"}),
			fx.Supply(db.DB), fx.Populate(&pub)),
		startertest.Listener(func() *OtelPaid { return &OtelPaid{seen: seen} }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, writer := tel.tp.Tracer("test").Start(ctx, "pay order")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, tx, outbox.Message{Destination: "otel-paid:ok", Payload: "p-1", Key: "p-1"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	writer.End()
	wsc := writer.SpanContext()

	var props string
	if err := db.QueryRowContext(ctx, "SELECT properties FROM otel_outbox WHERE msg_key = 'p-1'").Scan(&props); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"traceparent":"00-%s-%s-01"`, wsc.TraceID(), wsc.SpanID()); !strings.Contains(props, want) {
		t.Errorf("row properties %s, want %s", props, want)
	}

	calls := seen.wait(t, 1)
	send := tel.waitSpan(t, "send otel-paid", nil)
	wantChild(t, send, wsc)
	if send.SpanKind() != trace.SpanKindProducer {
		t.Errorf("relay send span kind %v, want producer", send.SpanKind())
	}
	wantAttrs(t, send, map[string]string{"rocketkit.send.mode": "outbox", "messaging.destination.name": "otel-paid",
		"messaging.rocketmq.message.tag": "ok", "messaging.rocketmq.message.keys": `["p-1"]`})
	proc := tel.waitSpan(t, "process otel-paid", nil)
	wantChild(t, proc, send.SpanContext())
	if !calls[0].Equal(proc.SpanContext()) {
		t.Errorf("handler ran in span %s, want the process span %s", calls[0].SpanID(), proc.SpanContext().SpanID())
	}

	waitUntil(t, 30*time.Second, func() bool { return len(points(tel.metrics(t)["rocketkit.outbox.relay.rows"])) == 2 },
		func() string { return "the relay's counts" })
	all := tel.metrics(t)
	wantPoints(t, all, "rocketkit.outbox.relay.rows", "rocketkit.outbox.state=claimed → 1", "rocketkit.outbox.state=sent → 1")
	wantPoints(t, all, "rocketkit.outbox.backlog", " → 0")
	if _, ok := all["messaging.client.sent.messages"]; ok {
		t.Error("the relay's send was counted as a Template send")
	}
}

type OtelTx struct {
	listener.Concurrent `topic:"otel-tx" group:"otel-tx-cg"`
	seen                *handled
}

func (l *OtelTx) Handle(ctx context.Context, m *listener.Message) error {
	l.seen.add(ctx, m)
	return nil
}

// A transactional message left to the check-back: txcheck's send span is
// the caller's child, the check-back's SERVER span "check otel-tx" and
// the listener's span are children of the send span, and the check-back
// and the send are counted.
func TestCheckBackContinuesTheSendersTrace(t *testing.T) {
	tel := newTelemetry(t)
	db := outboxtest.Open(t)
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.TransactionTimeout = time.Hour
		c.TransactionCheckInterval = time.Hour
	}))
	seen := newHandled()
	var prod *txcheck.Producer
	startertest.New(t,
		startertest.Config(map[string]any{
			"rocketmq.name-server":                 b.Addr(),
			"rocketmq.consumer.consume-from-where": "first",
			"rocketmq.txcheck.group":               "otel-tx-pg",
		}),
		startertest.Fx(rkotel.Module(tel.tp, tel.mp), starter.TxCheck(), fx.Supply(db.DB), fx.Populate(&prod)),
		startertest.Listener(func() *OtelTx { return &OtelTx{seen: seen} }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, approve := tel.tp.Tracer("test").Start(ctx, "approve")
	res, err := prod.SendInTransaction(ctx, "otel-tx", "pending", func(context.Context, *sql.Tx) error {
		return fmt.Errorf("decided later: %w", txcheck.ErrUnknown)
	})
	approve.End()
	if err != nil || res.State != txcheck.Unknown {
		t.Fatalf("send: %+v, %v; want state unknown", res, err)
	}
	if n := brokertest.CheckBackNow(t, b, "otel-tx"); n != 1 {
		t.Fatalf("%d check-backs, want 1", n)
	}
	seen.wait(t, 1)

	send := tel.waitSpan(t, "send otel-tx", nil)
	wantChild(t, send, approve.SpanContext())
	wantAttrs(t, send, map[string]string{"rocketkit.send.mode": "transaction", "messaging.rocketmq.message.type": "transaction",
		"rocketkit.producer.group": "otel-tx-pg", "messaging.message.id": res.MsgID})
	check := tel.waitSpan(t, "check otel-tx", nil)
	wantChild(t, check, send.SpanContext())
	wantLink(t, check, send.SpanContext())
	if check.SpanKind() != trace.SpanKindServer {
		t.Errorf("check span kind %v, want server", check.SpanKind())
	}
	wantAttrs(t, check, map[string]string{"rocketkit.txcheck.state": "commit", "messaging.destination.name": "otel-tx"})
	proc := tel.waitSpan(t, "process otel-tx", nil)
	wantChild(t, proc, send.SpanContext())

	all := tel.metrics(t)
	wantPoints(t, all, "rocketkit.txcheck.sends", "messaging.destination.name=otel-tx → 1")
	wantPoints(t, all, "rocketkit.txcheck.checks", "messaging.destination.name=otel-tx,rocketkit.txcheck.state=commit → 1")
}
