package outbox

import (
	"encoding/json"
)

// Codec turns payloads into message bodies. Implementations must be safe
// for concurrent use; Encode must not retain p.Payload.
type Codec interface {
	Encode(p EncodeParams) ([]byte, error)
}

// EncodeParams is what a Codec gets: the payload and where it goes.
type EncodeParams struct {
	Topic   string
	Tag     string
	Payload any
}

// JSONCodec is the default codec. Like RocketMQTemplate, it sends []byte
// and json.RawMessage as they are and a string as its UTF-8 bytes, and
// encodes anything else with encoding/json.
type JSONCodec struct{}

var _ Codec = JSONCodec{}

// Encode implements Codec.
func (JSONCodec) Encode(p EncodeParams) ([]byte, error) {
	switch v := p.Payload.(type) {
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	case string:
		return []byte(v), nil
	}
	return json.Marshal(p.Payload)
}
