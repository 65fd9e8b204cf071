package rkotel

import (
	"maps"
	"slices"

	"github.com/rocketkit/rocketkit/client"
	"go.opentelemetry.io/otel/propagation"
)

// extCarrier reads the trace context of a received message.
type extCarrier struct{ m *client.MessageExt }

var _ propagation.TextMapCarrier = extCarrier{}

func (c extCarrier) Get(key string) string { return c.m.Property(key) }

// Set does nothing: a received message is read only.
func (extCarrier) Set(string, string) {}

func (c extCarrier) Keys() []string { return slices.Collect(maps.Keys(c.m.UserProperties())) }
