package official

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

func TestNewMapsTheConfig(t *testing.T) {
	b := testBackend(t, client.Config{NameServers: []string{"http://10.0.0.1:9876", " mq.example:9876"},
		Namespace: "ns", InstanceName: "svc", Credentials: client.Credentials{AccessKey: "ak", SecretKey: "sk", SecurityToken: "st"}})
	if b.Name() != "official" {
		t.Errorf("Name() = %q", b.Name())
	}
	if got, want := b.nameServers(), (primitive.NamesrvAddr{"10.0.0.1:9876", "http://mq.example:9876"}); !slices.Equal(got, want) {
		t.Errorf("name servers %q, want %q (the client takes IP literals, or host names as http://)", got, want)
	}
	if got := b.credentials(); got != (primitive.Credentials{AccessKey: "ak", SecretKey: "sk", SecurityToken: "st"}) {
		t.Errorf("credentials %+v", got)
	}
	for wire, bare := range map[string]string{"ns%t": "t", "%RETRY%ns%g": "%RETRY%g", "%DLQ%ns%g": "%DLQ%g", "other": "other"} {
		if got := b.bareName(wire); got != bare {
			t.Errorf("bareName(%q) = %q, want %q", wire, got, bare)
		}
	}
}

func TestNewRefusesABadConfig(t *testing.T) {
	for _, cfg := range []client.Config{
		{},
		{NameServers: []string{"no-port"}},
		{NameServers: []string{"127.0.0.1:9876"}, Credentials: client.Credentials{AccessKey: "ak"}},
		{NameServers: []string{"127.0.0.1:9876"}, InstanceName: "a b"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
}

// Each client object has its own instance name (so its own ClientID and
// client instance), and the same names come back in the same order for
// another process with the same InstanceName.
func TestInstanceNamesAreUnique(t *testing.T) {
	b := testBackend(t, client.Config{InstanceName: clienttest.UniqueName("inst")})
	seen := map[string]bool{}
	for _, g := range []string{"g1", "g1", "g2", "g1"} {
		n := b.instanceName(g)
		if seen[n] || !strings.HasPrefix(n, b.base+"-"+g+"-") {
			t.Errorf("instance name %q (seen: %v)", n, seen)
		}
		seen[n] = true
	}
	if !strings.HasSuffix(b.instanceName("g2"), "-g2-2") {
		t.Error("the second object of a group is not numbered 2")
	}
	if d := testBackend(t, client.Config{}); d.base == "" || strings.ContainsAny(d.base, "@ ") {
		t.Errorf("default instance prefix %q", d.base)
	}
}

func TestWithLoggerRoutesTheClientLog(t *testing.T) {
	var buf clienttest.LockedBuffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := New(client.Config{NameServers: []string{"127.0.0.1:9876"}}, WithLogger(l)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { routeClientLog(nil) })
	rlog.Warning("broker unreachable", map[string]any{"broker": "broker-a"})
	rlog.Info("chatty", nil)
	out := buf.String()
	if !strings.Contains(out, "broker unreachable") || !strings.Contains(out, "broker=broker-a") || strings.Contains(out, "chatty") {
		t.Errorf("client log:\n%s", out)
	}
	var other bytes.Buffer
	routeClientLog(slog.New(slog.NewTextHandler(&other, nil)).With("backend", "second"))
	rlog.Warning("switched", nil)
	if !strings.Contains(other.String(), "switched") || !strings.Contains(other.String(), "backend=second") ||
		strings.Contains(buf.String(), "switched") {
		t.Errorf("after switching: first %q, second %q", buf.String(), other.String())
	}
}
