package starter_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type TemplateSink struct {
	listener.Concurrent `topic:"tpl" group:"tpl-sink"`
	in                  *inbox
}

func (l *TemplateSink) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

type Order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func TestTemplateSendModes(t *testing.T) {
	sink := &TemplateSink{in: newInbox()}
	app := startertest.New(t, startertest.Listener(func() *TemplateSink { return sink }))
	tpl := app.Template
	ctx := sendCtx(t)

	res, err := tpl.Send(ctx, "tpl:created", Order{ID: "o-1", Amount: 5},
		starter.WithKeys("o-1", "cust-9"), starter.WithProperty("origin", "test"))
	if err != nil || res.Status != starter.SendOK || res.MsgID == "" || res.Topic != "tpl" || res.BrokerName == "" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	if _, err := tpl.SendOrderly(ctx, "tpl:orderly", []byte("raw bytes"), "key-1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var asyncRes *starter.SendResult
	var asyncErr error
	if err := tpl.SendAsync(ctx, "tpl:async", "text", func(_ context.Context, r *starter.SendResult, err error) {
		asyncRes, asyncErr = r, err
		wg.Done()
	}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if asyncErr != nil || asyncRes.Status != starter.SendOK {
		t.Errorf("async result %+v, %v", asyncRes, asyncErr)
	}
	if err := tpl.SendOneway(ctx, "tpl:oneway", "fire and forget"); err != nil {
		t.Fatal(err)
	}
	batch, err := tpl.SendBatch(ctx, "tpl:batch", []starter.BatchMessage{
		{Payload: "b1", Keys: []string{"k-b1"}}, {Payload: Order{ID: "b2"}, Properties: map[string]string{"n": "2"}},
	})
	if err != nil || batch.Status != starter.SendOK {
		t.Fatalf("SendBatch = %+v, %v", batch, err)
	}
	if _, err := tpl.Send(ctx, "tpl:delayed", "later", starter.WithDelayLevel(2)); err != nil {
		t.Fatal(err)
	}

	got := sink.in.waitFor(t, 7, 10*time.Second)
	byTag := map[string]*listener.Message{}
	for _, m := range got {
		byTag[m.Tag+"/"+string(m.Body)] = m
	}
	created := byTag[`created/{"id":"o-1","amount":5}`]
	if created == nil || created.MsgID != res.MsgID || strings.Join(created.Keys, ",") != "o-1,cust-9" || created.Property("origin") != "test" {
		t.Errorf("created message %+v (all: %v)", created, keysOf(byTag))
	} else {
		var o Order
		if err := created.Decode(&o); err != nil || o != (Order{ID: "o-1", Amount: 5}) {
			t.Errorf("Decode = %+v, %v", o, err)
		}
	}
	for _, k := range []string{"orderly/raw bytes", "async/text", "oneway/fire and forget", "batch/b1", `batch/{"id":"b2","amount":0}`, "delayed/later"} {
		if byTag[k] == nil {
			t.Errorf("missing %s (got %v)", k, keysOf(byTag))
		}
	}
	if m := byTag["batch/b1"]; m != nil && strings.Join(m.Keys, ",") != "k-b1" {
		t.Errorf("batch keys %v", m.Keys)
	}
	if m := byTag[`batch/{"id":"b2","amount":0}`]; m != nil && m.Property("n") != "2" {
		t.Errorf("batch property n=%q", m.Property("n"))
	}
	// Delay level 2 is 40ms in the test table: the broker parks the message
	// and stores it again (REAL_TOPIC set) when it is due.
	if m := byTag["delayed/later"]; m != nil && (m.StoreTime.Sub(m.BornTime) < 30*time.Millisecond || m.Property("REAL_TOPIC") != "tpl") {
		t.Errorf("delayed message: born %v, stored %v, properties %v", m.BornTime, m.StoreTime, m.Properties())
	}
}

func keysOf(m map[string]*listener.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTemplateRefusesBadInput(t *testing.T) {
	app := startertest.New(t, startertest.Config(map[string]any{"rocketmq.producer.max-message-size": 16}))
	ctx := sendCtx(t)
	tests := []struct {
		name string
		err  error
		send func() error
	}{
		{"bad topic", starter.ErrBadDestination, func() error { _, err := app.Template.Send(ctx, "a b:tag", "x"); return err }},
		{"two tags", starter.ErrBadDestination, func() error { _, err := app.Template.Send(ctx, "t:a||b", "x"); return err }},
		{"too large", starter.ErrMessageTooLarge, func() error { _, err := app.Template.Send(ctx, "t", strings.Repeat("x", 17)); return err }},
		{"batch too large", starter.ErrMessageTooLarge, func() error {
			_, err := app.Template.SendBatch(ctx, "t", []starter.BatchMessage{{Payload: "123456789"}, {Payload: "123456789"}})
			return err
		}},
		{"unencodable", nil, func() error { _, err := app.Template.Send(ctx, "t", make(chan int)); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.send()
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
	if _, err := app.Template.SendBatch(ctx, "t", []starter.BatchMessage{{Payload: "x"}}, starter.WithDelayLevel(1)); err == nil {
		t.Errorf("batch with a delay level accepted")
	}
	if _, err := app.Template.SendOrderly(ctx, "t", "x", ""); err == nil {
		t.Errorf("SendOrderly without hash key accepted")
	}
	app.RequireStop()
	if _, err := app.Template.Send(ctx, "t", "x"); !errors.Is(err, starter.ErrNotStarted) {
		t.Errorf("send after stop: %v, want ErrNotStarted", err)
	}
}

// S13: with SYNC_FLUSH and a flush timeout nobody can meet, the broker
// answers FLUSH_DISK_TIMEOUT. The template reports it; strict-send turns
// it into an error.
func TestStrictSend(t *testing.T) {
	slowFlush := map[string]any{
		"rocketmq.embedded.flush-disk-type":    "SYNC_FLUSH",
		"rocketmq.embedded.sync-flush-timeout": "1ns",
	}
	lenient := startertest.New(t, startertest.Config(slowFlush))
	res, err := lenient.Template.Send(sendCtx(t), "strict", "x")
	if err != nil || res.Status != starter.SendFlushDiskTimeout {
		t.Fatalf("lenient: %+v, %v; want FLUSH_DISK_TIMEOUT without error", res, err)
	}
	lenient.RequireStop()

	slowFlush["rocketmq.strict-send"] = true
	strict := startertest.New(t, startertest.Config(slowFlush))
	res, err = strict.Template.Send(sendCtx(t), "strict", "x")
	var se *starter.SendStatusError
	if !errors.Is(err, starter.ErrNotSendOK) || !errors.As(err, &se) || se.Status != starter.SendFlushDiskTimeout || res == nil || res.MsgID == "" {
		t.Errorf("strict: %+v, %v; want the result and a SendStatusError", res, err)
	}
	if !strings.Contains(err.Error(), "FLUSH_DISK_TIMEOUT") {
		t.Errorf("error %q does not name the status", err)
	}
}

// upperCodec is a custom codec: payloads are upper-cased text.
type upperCodec struct{}

func (upperCodec) Marshal(p listener.MarshalParams) ([]byte, error) {
	return []byte(strings.ToUpper(p.Value.(interface{ String() string }).String())), nil
}

func (upperCodec) Unmarshal(p listener.UnmarshalParams) error {
	*(p.Into.(*greeting)) = greeting(strings.ToLower(string(p.Message.Body)))
	return nil
}

type greeting string

func (g greeting) String() string { return string(g) }

type CodecSink struct {
	listener.Concurrent `topic:"codec"`
	in                  *inbox
}

func (l *CodecSink) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

func TestCustomCodec(t *testing.T) {
	sink := &CodecSink{in: newInbox()}
	app := startertest.New(t,
		startertest.Fx(fx.Provide(func() listener.Codec { return upperCodec{} })),
		startertest.Listener(func() *CodecSink { return sink }))
	if _, err := app.Template.Send(sendCtx(t), "codec", greeting("hello")); err != nil {
		t.Fatal(err)
	}
	m := sink.in.waitFor(t, 1, 10*time.Second)[0]
	var g greeting
	if err := m.Decode(&g); err != nil || string(m.Body) != "HELLO" || g != "hello" {
		t.Errorf("body %q decoded %q, %v", m.Body, g, err)
	}
}
