package transport_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

func TestOpenNamesTheBackendsAndHowToGetOfficial(t *testing.T) {
	b, err := transport.Open(transport.NativeName, client.Config{NameServers: []string{"127.0.0.1:9876"}}, transport.OpenOptions{})
	if err != nil || b.Name() != transport.NativeName {
		t.Fatalf("Open(rocketkit) = %v, %v", b, err)
	}
	_ = b.Close()
	// This test binary does not import transport/official.
	_, err = transport.Open("official", client.Config{NameServers: []string{"127.0.0.1:9876"}}, transport.OpenOptions{})
	if !errors.Is(err, transport.ErrUnknownBackend) || !strings.Contains(err.Error(), "transport/official") {
		t.Fatalf("Open(official) without the import = %v", err)
	}
	if names := transport.Names(); len(names) != 1 || names[0] != transport.NativeName {
		t.Fatalf("Names() = %v", names)
	}
}
