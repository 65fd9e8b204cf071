package starter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

type PriceRequest struct {
	Item string `json:"item"`
	Qty  int    `json:"qty"`
}

type PriceQuote struct {
	Item  string `json:"item"`
	Total int    `json:"total"`
}

// PriceQuotes is a reply listener: it answers each request with a quote.
// The topic comes from the configuration, so each backend has its own.
type PriceQuotes struct {
	listener.Concurrent `topic:"${quotes.topic}"`
}

func (*PriceQuotes) HandleReply(_ context.Context, m *listener.Message) (any, error) {
	var r PriceRequest
	if err := m.Decode(&r); err != nil {
		return nil, listener.Discard(err)
	}
	if r.Item == "text" {
		return "plain " + strings.Repeat("x", r.Qty), nil
	}
	return PriceQuote{Item: r.Item, Total: 3 * r.Qty}, nil
}

// Template.SendAndReceive gets the typed reply of a reply listener of the
// same application, on either client; a request nobody answers fails with
// ErrReplyTimeout at ctx's deadline.
func TestSendAndReceive(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			topic := "quotes-" + which
			app := startertest.New(t, startertest.Config(map[string]any{"rocketmq.client": which, "quotes.topic": topic}),
				startertest.Listener(func() *PriceQuotes { return &PriceQuotes{} }))
			// The topic is created by the first request, after the reply
			// listener started: the official client may see it only at its
			// next route refresh (every 30s) and rebalance (every 20s).
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for i := range 3 {
				var q PriceQuote
				item := fmt.Sprintf("tea-%d", i)
				if err := app.Template.SendAndReceive(ctx, topic+":quote", PriceRequest{Item: item, Qty: i + 1}, &q); err != nil {
					t.Fatalf("SendAndReceive %d: %v", i, err)
				}
				if q != (PriceQuote{Item: item, Total: 3 * (i + 1)}) {
					t.Errorf("reply %d: %+v", i, q)
				}
			}
			var s string
			if err := app.Template.SendAndReceive(ctx, topic, PriceRequest{Item: "text", Qty: 2}, &s); err != nil || s != "plain xx" {
				t.Errorf("string reply %q, %v", s, err)
			}

			short, cancelShort := context.WithTimeout(context.Background(), time.Second)
			defer cancelShort()
			var never PriceQuote
			err := app.Template.SendAndReceive(short, "quotes-nobody-"+which, PriceRequest{Item: "x"}, &never)
			if !errors.Is(err, starter.ErrReplyTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("request nobody answers: %v, want ErrReplyTimeout and DeadlineExceeded", err)
			}
		})
	}
}
