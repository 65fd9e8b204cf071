package starter

import "github.com/rocketkit/rocketkit/client"

// SendOption adds to the messages a Template method sends. Options are
// sealed.
type SendOption interface{ apply(*sendOptions) }

type sendOptions struct {
	keys       []string
	props      map[string]string
	delayLevel int
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
	return sendOptionFunc(func(o *sendOptions) { o.delayLevel = level })
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
}
