package listener

import (
	"encoding/json"
	"fmt"
)

// Codec turns payloads into message bodies and back. The starter's
// template encodes with it (except []byte and string payloads, which are
// sent as they are) and Message.Decode decodes with it. Implementations
// must be safe for concurrent use.
type Codec interface {
	Marshal(MarshalParams) ([]byte, error)
	Unmarshal(UnmarshalParams) error
}

// MarshalParams is what Codec.Marshal encodes. Fields may be added.
type MarshalParams struct {
	Topic string // destination topic
	Tag   string // destination tag, may be empty
	Value any    // the payload
}

// UnmarshalParams is what Codec.Unmarshal decodes. Fields may be added.
type UnmarshalParams struct {
	Message *Message // the received message; its Body is the input
	Into    any      // a non-nil pointer to decode into
}

// JSON is the default codec: encoding/json.
type JSON struct{}

var _ Codec = JSON{}

// Marshal encodes p.Value as JSON.
func (JSON) Marshal(p MarshalParams) ([]byte, error) {
	b, err := json.Marshal(p.Value)
	if err != nil {
		return nil, fmt.Errorf("listener: encode %T as JSON: %w", p.Value, err)
	}
	return b, nil
}

// Unmarshal decodes the message body as JSON into p.Into.
func (JSON) Unmarshal(p UnmarshalParams) error {
	if err := json.Unmarshal(p.Message.Body, p.Into); err != nil {
		return fmt.Errorf("listener: decode message %s as JSON into %T: %w", p.Message.MsgID, p.Into, err)
	}
	return nil
}
