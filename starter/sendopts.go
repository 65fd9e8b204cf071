package starter

import (
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// SendOption adds to the messages a Template method sends. Options are
// sealed.
type SendOption interface{ apply(*sendOptions) }

type sendOptions struct {
	keys       []string
	props      map[string]string
	delayLevel int
	deliverAt  time.Time
	delay      time.Duration
	timed      int // how many of WithDelayLevel, WithDeliverAt and WithDelay were given
}

type sendOptionFunc func(*sendOptions)

func (f sendOptionFunc) apply(o *sendOptions) { f(o) }

// WithKeys sets the message keys (KEYS): business keys the broker indexes,
// used to look messages up and to de-duplicate. Keep them unique.
func WithKeys(keys ...string) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.keys = append(o.keys, keys...) })
}

// WithProperty sets a user property. Empty names or values are ignored.
func WithProperty(name, value string) SendOption {
	return sendOptionFunc(func(o *sendOptions) {
		if o.props == nil {
			o.props = map[string]string{}
		}
		o.props[name] = value
	})
}

// WithDelayLevel delays delivery by the broker's delay level (1..18 with
// the default table: 1s 5s 10s 30s 1m ... 2h). Not allowed in batches.
func WithDelayLevel(level int) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.delayLevel = level; o.timed++ })
}

// WithDeliverAt delivers the message at t (RocketMQ 5's timer messages,
// TIMER_DELIVER_MS), to the millisecond; a time already past delivers at
// once. The broker must support timer messages: the embedded one and
// Apache RocketMQ 5 do, 4.x does not (it delivers at once). Not allowed in
// batches, nor together with WithDelayLevel or WithDelay.
func WithDeliverAt(t time.Time) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.deliverAt = t; o.timed++ })
}

// WithDelay delivers the message d after it is built (WithDeliverAt of
// now + d, by the sender's clock): any duration, not just the delay
// levels' steps. d must not be negative; the brokers' limit is 3 days by
// default (timerMaxDelaySec). Not allowed in batches, nor together with
// WithDelayLevel or WithDeliverAt.
func WithDelay(d time.Duration) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.delay = d; o.deliverAt = time.Time{}; o.timed++ })
}

// check reports options that contradict each other or are out of range.
func (o *sendOptions) check() error {
	switch {
	case o.timed > 1:
		return ErrTimedTwice
	case o.delayLevel < 0:
		return fmt.Errorf("starter: delay level %d is negative", o.delayLevel)
	case o.delay < 0:
		return fmt.Errorf("starter: delay %v is negative", o.delay)
	}
	return nil
}

func (o *sendOptions) applyTo(m *client.Message) {
	if len(o.props) > 0 {
		if m.Properties == nil {
			m.Properties = make(map[string]string, len(o.props))
		}
		for k, v := range o.props {
			m.Properties[k] = v
		}
	}
	m.Keys = append(m.Keys, o.keys...)
	if o.delayLevel > 0 {
		m.DelayLevel = o.delayLevel
	}
	switch {
	case !o.deliverAt.IsZero():
		m.DeliverAt = o.deliverAt
	case o.delay > 0:
		m.DeliverAt = time.Now().Add(o.delay)
	}
}
