package starter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

type TimerSink struct {
	listener.Concurrent `topic:"tpl_timer" group:"tpl-timer-sink"`
	in                  *inbox
}

func (l *TimerSink) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// TestTemplateDeliverAtAndDelay sends timer messages through the Template:
// the broker parks them and stores them again when due, so a message's
// store time is never before the time asked for (only lower bounds are
// asserted: a busy machine delivers late, never early).
func TestTemplateDeliverAtAndDelay(t *testing.T) {
	sink := &TimerSink{in: newInbox()}
	app := startertest.New(t, startertest.Listener(func() *TimerSink { return sink }))
	ctx := sendCtx(t)

	at := time.Now().Add(700 * time.Millisecond).Truncate(time.Millisecond)
	if _, err := app.Template.Send(ctx, "tpl_timer:at", "at", starter.WithDeliverAt(at)); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, err := app.Template.Send(ctx, "tpl_timer:delay", "delay", starter.WithDelay(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Template.Send(ctx, "tpl_timer:past", "past", starter.WithDeliverAt(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	byTag := map[string]*listener.Message{}
	for _, m := range sink.in.waitFor(t, 3, 20*time.Second) {
		byTag[m.Tag] = m
	}
	if m := byTag["at"]; m == nil || m.StoreTime.Before(at) || m.Property("REAL_TOPIC") != "tpl_timer" {
		t.Errorf("WithDeliverAt(%v): %+v %v", at, m, m.Properties())
	}
	if m := byTag["delay"]; m == nil || m.StoreTime.Before(before.Add(500*time.Millisecond).Truncate(time.Millisecond)) ||
		m.Property("REAL_TOPIC") != "tpl_timer" {
		t.Errorf("WithDelay(500ms) sent at %v: %+v", before, m)
	}
	if m := byTag["past"]; m == nil || m.Property("REAL_TOPIC") != "" {
		t.Errorf("a time in the past is parked: %+v", m)
	}
}

func TestTemplateRefusesBadTiming(t *testing.T) {
	app := startertest.New(t)
	ctx := sendCtx(t)
	in := time.Now().Add(time.Minute)
	tests := []struct {
		name string
		opts []starter.SendOption
	}{
		{"level and time", []starter.SendOption{starter.WithDelayLevel(1), starter.WithDeliverAt(in)}},
		{"delay and time", []starter.SendOption{starter.WithDelay(time.Second), starter.WithDeliverAt(in)}},
		{"negative delay", []starter.SendOption{starter.WithDelay(-time.Second)}},
		{"negative level", []starter.SendOption{starter.WithDelayLevel(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := app.Template.Send(ctx, "t", "x", tt.opts...); err == nil {
				t.Errorf("Send with %s accepted", tt.name)
			}
		})
	}
	_, err := app.Template.SendBatch(ctx, "t", []starter.BatchMessage{{Payload: "x"}}, starter.WithDelay(time.Second))
	if err == nil {
		t.Errorf("batch with a delay accepted")
	}
	if _, err := app.Template.Send(ctx, "t", "x", starter.WithDelayLevel(1), starter.WithDelay(time.Second)); !errors.Is(err, starter.ErrTimedTwice) {
		t.Errorf("two timings: err = %v, want ErrTimedTwice", err)
	}
}
