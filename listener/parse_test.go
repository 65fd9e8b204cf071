package listener_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
)

type ShipmentOrders struct {
	listener.Orderly `topic:"orders" group:"billing-orders" tags:"paid || created"`
}

func (*ShipmentOrders) Handle(context.Context, *listener.Message) error { return nil }

type Placeholders struct {
	listener.Concurrent `topic:"${t}" group:"${g:fallback-group}" consumers:"${billing.consumers}" maxReconsume:"${missing:3}" timeout:"${to}" tags:"a-${suffix}"`
}

func (*Placeholders) Handle(context.Context, *listener.Message) error { return nil }

type Batched struct {
	listener.Concurrent `topic:"orders" batch:"16" model:"BROADCASTING"`
}

func (*Batched) HandleBatch(context.Context, []*listener.Message) error { return nil }

type BadNumber struct {
	listener.Orderly `topic:"orders" consumers:"many"`
}

func (*BadNumber) Handle(context.Context, *listener.Message) error { return nil }

type Named struct {
	Marker listener.Concurrent `topic:"orders" sql:"a > 1"`
}

func (*Named) Handle(context.Context, *listener.Message) error { return nil }

type NoMarker struct{}

func (*NoMarker) Handle(context.Context, *listener.Message) error { return nil }

type TwoMarkers struct {
	listener.Orderly    `topic:"a"`
	listener.Concurrent `topic:"b"`
}

type NoHandler struct {
	listener.Concurrent `topic:"orders"`
}

type BatchWithoutTag struct {
	listener.Concurrent `topic:"orders"`
}

func (*BatchWithoutTag) HandleBatch(context.Context, []*listener.Message) error { return nil }

func lookupMap(m map[string]string) listener.Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	s, err := listener.Parse(&ShipmentOrders{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Listener != "ShipmentOrders" || s.Field != "Orderly" || s.Kind != listener.KindOrderly ||
		s.Topic != "orders" || s.Group != "billing-orders" || s.Tags != "created || paid" ||
		s.Model != listener.Clustering || s.MaxReconsume != -1 || s.Suspend != -1 {
		t.Errorf("spec = %+v", s)
	}
	if got := s.ReconsumeLimit(); got != listener.OrderlyUnlimited {
		t.Errorf("orderly reconsume limit %d", got)
	}
	if got, want := s.String(), "ShipmentOrders (orderly, topic orders, tags created || paid, group billing-orders)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestParsePlaceholders(t *testing.T) {
	s, err := listener.Parse(&Placeholders{}, lookupMap(map[string]string{
		"t": "orders", "billing.consumers": "7", "to": "1500", "suffix": "b",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Topic != "orders" || s.Group != "fallback-group" || s.Consumers != 7 || s.MaxReconsume != 3 ||
		s.Timeout != 1500*time.Millisecond || s.Tags != "a-b" {
		t.Errorf("spec = %+v", s)
	}
	if got := s.ReconsumeLimit(); got != 3 {
		t.Errorf("reconsume limit %d, want 3", got)
	}
}

func TestParseBatchAndModel(t *testing.T) {
	s, err := listener.Parse(&Batched{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Batch != 16 || s.Model != listener.Broadcasting || s.Tags != "*" || s.ReconsumeLimit() != 16 {
		t.Errorf("spec = %+v", s)
	}
	n, err := listener.Parse(Named{}, nil) // value: Handle has a pointer receiver
	if err == nil || !errors.Is(err, listener.ErrNoHandler) || !strings.Contains(err.Error(), "pointer") {
		t.Errorf("value receiver: err = %v, spec %+v", err, n)
	}
	n, err = listener.Parse(&Named{}, nil)
	if err != nil || n.Field != "Marker" || n.SQL != "a > 1" || n.Expression() != "a > 1" {
		t.Errorf("named marker: %+v, %v", n, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		l      any
		lookup map[string]string
		want   string
		is     error
	}{
		{"not a number", &BadNumber{}, nil, `listener BadNumber, field Orderly: tag consumers: "many" is not a number`, listener.ErrInvalidTag},
		{"unset placeholder", &Placeholders{}, map[string]string{"t": "x", "to": "1s", "suffix": "s"}, `listener Placeholders, field Concurrent: tag consumers: placeholder ${billing.consumers}: billing.consumers is not set`, listener.ErrInvalidTag},
		{"no marker", &NoMarker{}, nil, "listener NoMarker: listener: no listener.Orderly", listener.ErrNoMarker},
		{"two markers", &TwoMarkers{}, nil, "fields Orderly and Concurrent are both markers", listener.ErrNoMarker},
		{"no handler", &NoHandler{}, nil, "needs a method Handle(", listener.ErrNoHandler},
		{"batch method without tag", &BatchWithoutTag{}, nil, "HandleBatch needs tag batch", listener.ErrNoHandler},
		{"nil", nil, nil, "listener <nil>", listener.ErrNoMarker},
		{"not a struct", new(int), nil, "not a struct", listener.ErrNoMarker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := listener.Parse(tt.l, lookupMap(tt.lookup))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want containing %q and matching %v", err, tt.want, tt.is)
			}
		})
	}
}
