package broker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
)

// The tls.server.* keys and serverChannelMaxIdleTimeSeconds set their
// fields; the TLS keys with no equivalent are reported ignored with a
// reason; a bad mode or idle time is an error naming the line.
func TestBrokerConfTLSAndIdleKeys(t *testing.T) {
	conf := "tls.server.mode=permissive\ntls.server.certPath=/etc/rocketmq/server.pem\n" +
		"tls.server.keyPath=/etc/rocketmq/server.key\nserverChannelMaxIdleTimeSeconds=300\n" +
		"tls.server.need.client.auth=require\ntls.test.mode.enable=false\n"
	cfg, rep, err := broker.ParseBrokerConf(strings.NewReader(conf), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSMode != broker.TLSPermissive || cfg.TLSCertFile != "/etc/rocketmq/server.pem" ||
		cfg.TLSKeyFile != "/etc/rocketmq/server.key" || cfg.IdleTimeout != 300*time.Second {
		t.Fatalf("config: mode %q cert %q key %q idle %v", cfg.TLSMode, cfg.TLSCertFile, cfg.TLSKeyFile, cfg.IdleTimeout)
	}
	if len(rep.Applied) != 4 || len(rep.Ignored) != 2 || len(rep.Unknown) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if r := rep.Ignored[0].Reason; !strings.Contains(r, "client certificates are not requested") {
		t.Fatalf("tls.server.need.client.auth ignored because %q", r)
	}
	for _, bad := range []string{"tls.server.mode=strict", "serverChannelMaxIdleTimeSeconds=0"} {
		if _, _, err := broker.ParseBrokerConf(strings.NewReader(bad+"\n"), broker.Config{}); err == nil ||
			!strings.Contains(err.Error(), "broker.conf:1: "+strings.Split(bad, "=")[0]) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
