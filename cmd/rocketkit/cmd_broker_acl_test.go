package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --acl turns ACL on with its file; aclEnable=true in the -c file finds
// the plain_acl.yml next to it.
func TestBrokerACLFlag(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, _, err := parseBrokerFlags([]string{"--acl", "/etc/rocketmq/plain_acl.yml"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, origin, err := f.config(log)
	if err != nil || !cfg.ACLEnable || cfg.ACLFile != "/etc/rocketmq/plain_acl.yml" || origin["acl-file"] != "--acl" {
		t.Fatalf("--acl: %+v %v %v", cfg, origin, err)
	}
	none, _, _ := parseBrokerFlags(nil)
	if cfg, _, _ := none.config(log); cfg.ACLEnable {
		t.Fatal("ACL is on without --acl")
	}

	conf := writeConf(t, "aclEnable=true\n")
	next := filepath.Join(filepath.Dir(conf), "plain_acl.yml")
	if err := os.WriteFile(next, []byte("accounts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _, err = parseBrokerFlags([]string{"-c", conf})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := f.config(log); err != nil || !cfg.ACLEnable || cfg.ACLFile != next {
		t.Fatalf("aclEnable=true next to plain_acl.yml: ACLFile %q, %v", cfg.ACLFile, err)
	}

	var help strings.Builder
	_, fs, _ := parseBrokerFlags([]string{"-h"})
	brokerUsage(&help, fs)
	if !strings.Contains(help.String(), "-acl file") || !strings.Contains(help.String(), "NO_PERMISSION") {
		t.Errorf("--help does not document --acl:\n%s", &help)
	}
}
