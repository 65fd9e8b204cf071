package listener_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/listener"
)

type OwnKeys struct {
	listener.Concurrent `topic:"orders" accessKey:"${billing.access-key}" secretKey:"${billing.secret-key}"`
}

func (*OwnKeys) Handle(context.Context, *listener.Message) error { return nil }

type LiteralSecret struct {
	listener.Concurrent `topic:"orders" accessKey:"billing" secretKey:"hunter2hunter2"`
}

func (*LiteralSecret) Handle(context.Context, *listener.Message) error { return nil }

type OptionalKeys struct {
	listener.Concurrent `topic:"orders" accessKey:"${billing.access-key:}" secretKey:"${billing.secret-key:}"`
}

func (*OptionalKeys) Handle(context.Context, *listener.Message) error { return nil }

// accessKey and secretKey are the listener's own credentials, read from
// placeholders; String never shows them.
func TestParseCredentials(t *testing.T) {
	s, err := listener.Parse(&OwnKeys{}, lookupMap(map[string]string{"billing.access-key": "billing-ak", "billing.secret-key": "billing-sk"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessKey != "billing-ak" || s.SecretKey != "billing-sk" {
		t.Errorf("credentials %q/%q", s.AccessKey, s.SecretKey)
	}
	if str := s.String(); strings.Contains(str, "billing-sk") || strings.Contains(str, "billing-ak") {
		t.Errorf("String shows the credentials: %s", str)
	}
	s, err = listener.Parse(&OptionalKeys{}, lookupMap(nil))
	if err != nil || s.AccessKey != "" || s.SecretKey != "" {
		t.Errorf("both empty: %+v, %v", s, err)
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	_, err := listener.Parse(&LiteralSecret{}, nil)
	if !errors.Is(err, listener.ErrInvalidTag) || !strings.Contains(err.Error(), "tag secretKey: must be a placeholder") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("literal secret: %v", err)
	}
	_, err = listener.Parse(&OptionalKeys{}, lookupMap(map[string]string{"billing.access-key": "billing-ak"}))
	if !errors.Is(err, listener.ErrInvalidTag) || !strings.Contains(err.Error(), "accessKey and secretKey go together") {
		t.Errorf("access key alone: %v", err)
	}
}
