package main

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// writeConf writes a broker.conf into a temp dir and returns its path.
func writeConf(t *testing.T, conf string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRun(t *testing.T) {
	badConf := writeConf(t, "brokerName=b1\ndefaultTopicQueueNums=four\nlistenPort=x\n")
	smallSegments := writeConf(t, "mappedFileSizeCommitLog=1024\n")
	data := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings stdout must contain
		stderr     []string // substrings stderr must contain
		emptyOut   bool     // stdout must be empty
		emptyError bool     // stderr must be empty
	}{
		{name: "no arguments", args: nil, code: exitUsage,
			stderr: []string{"Usage:", "rocketkit <command>", "broker"}, emptyOut: true},
		{name: "help", args: []string{"help"}, code: exitOK,
			stdout: []string{"Usage:", "broker ", "run a RocketMQ-compatible"}, emptyError: true},
		{name: "-h", args: []string{"-h"}, code: exitOK, stdout: []string{"Usage:"}, emptyError: true},
		{name: "--help", args: []string{"--help"}, code: exitOK, stdout: []string{"Usage:"}, emptyError: true},
		{name: "help broker", args: []string{"help", "broker"}, code: exitOK,
			stdout:     []string{"Usage: rocketkit broker [flags]", "-listen address", "-data directory", "-c file", "-flush type", "-log-level level", "info (default)"},
			emptyError: true},
		{name: "help unknown", args: []string{"help", "nope"}, code: exitUsage,
			stderr: []string{`rocketkit help: unknown command "nope"`, "Usage:"}},
		{name: "unknown command", args: []string{"nope"}, code: exitUsage,
			stderr: []string{`rocketkit: unknown command "nope"`, "Usage:", "broker"}, emptyOut: true},
		{name: "broker -h", args: []string{"broker", "-h"}, code: exitOK,
			stdout:     []string{"Usage: rocketkit broker [flags]", "-listen address", `(default "127.0.0.1:9876")`, "SIGTERM"},
			emptyError: true},
		{name: "broker --help", args: []string{"broker", "--help"}, code: exitOK,
			stdout: []string{"Usage: rocketkit broker"}, emptyError: true},
		{name: "broker unknown flag", args: []string{"broker", "--bogus"}, code: exitUsage,
			stderr: []string{"rocketkit broker: flag provided but not defined: -bogus", "Usage: rocketkit broker"}, emptyOut: true},
		{name: "broker bad --flush", args: []string{"broker", "--flush", "fast"}, code: exitUsage,
			stderr: []string{`invalid value "fast" for flag -flush: must be ASYNC_FLUSH or SYNC_FLUSH`}},
		{name: "broker bad --log-level", args: []string{"broker", "--log-level=loud"}, code: exitUsage,
			stderr: []string{`invalid value "loud" for flag -log-level: must be debug, info, warn or error`}},
		{name: "broker positional argument", args: []string{"broker", "--data", data, "extra"}, code: exitUsage,
			stderr: []string{`rocketkit broker: unexpected argument "extra"`}},
		{name: "broker missing -c file", args: []string{"broker", "-c", filepath.Join(data, "missing.conf")}, code: exitUsage,
			stderr: []string{"rocketkit broker: broker: load broker.conf: open ", "no such file"}, emptyOut: true},
		{name: "broker malformed -c file", args: []string{"broker", "-c", badConf}, code: exitUsage,
			stderr: []string{
				"rocketkit broker: " + badConf + `:2: defaultTopicQueueNums: "four" is not an integer` + "\n",
				"rocketkit broker: " + badConf + `:3: listenPort: "x" is not a port number (0-65535)` + "\n",
			},
			emptyOut: true},
		{name: "broker invalid --listen", args: []string{"broker", "--listen", "nonsense", "--data", data}, code: exitUsage,
			stderr:   []string{`rocketkit broker: invalid configuration: broker config listen: "nonsense" is not host:port`, "(set by --listen)"},
			emptyOut: true},
		{name: "broker invalid value from -c file", args: []string{"broker", "-c", smallSegments, "--data", data}, code: exitUsage,
			stderr:   []string{"rocketkit broker: invalid configuration: broker config segment-size: 1024 is below the 64 KiB minimum (set by " + smallSegments + ":1 mappedFileSizeCommitLog)"},
			emptyOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &stderr)
				}
			}
			if tt.emptyOut && stdout.Len() > 0 {
				t.Errorf("stdout not empty:\n%s", &stdout)
			}
			if tt.emptyError && stderr.Len() > 0 {
				t.Errorf("stderr not empty:\n%s", &stderr)
			}
		})
	}
}

func TestParseBrokerFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    brokerFlags
		wantErr string
	}{
		{
			name: "defaults",
			want: brokerFlags{listen: "127.0.0.1:9876", data: defaultDataDir(), logLevel: levelFlag(slog.LevelInfo), set: map[string]bool{}},
		},
		{
			name: "every flag, both dash styles",
			args: []string{"--listen", "0.0.0.0:10911", "-data=/srv/rk", "-c", "/etc/broker.conf", "--flush=sync_flush", "--log-level", "DEBUG"},
			want: brokerFlags{
				listen: "0.0.0.0:10911", data: "/srv/rk", conf: "/etc/broker.conf",
				flush: broker.SyncFlush, logLevel: levelFlag(slog.LevelDebug),
				set: map[string]bool{"listen": true, "data": true, "c": true, "flush": true, "log-level": true},
			},
		},
		{
			name: "a flag given with its default value still counts as set",
			args: []string{"--listen", "127.0.0.1:9876"},
			want: brokerFlags{listen: "127.0.0.1:9876", data: defaultDataDir(), logLevel: levelFlag(slog.LevelInfo), set: map[string]bool{"listen": true}},
		},
		{name: "bad flush", args: []string{"--flush", "ASYNC"}, wantErr: `invalid value "ASYNC" for flag -flush: must be ASYNC_FLUSH or SYNC_FLUSH`},
		{name: "bad level", args: []string{"--log-level", "trace"}, wantErr: `invalid value "trace" for flag -log-level: must be debug, info, warn or error`},
		{name: "missing value", args: []string{"--listen"}, wantErr: "flag needs an argument: -listen"},
		{name: "positional", args: []string{"x"}, wantErr: `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseBrokerFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.listen != tt.want.listen || got.data != tt.want.data || got.conf != tt.want.conf ||
				got.flush != tt.want.flush || got.logLevel != tt.want.logLevel || !sameSet(got.set, tt.want.set) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestBrokerConfigMerge(t *testing.T) {
	const conf = `# migrated from RocketMQ
brokerClusterName = ProdCluster
brokerName = broker-b
enableDLegerCommitLog = false
listenPort = 10911
storePathRootDir = /var/lib/rocketmq
flushDiskType = SYNC_FLUSH
brokerNmae = typo
`
	path := writeConf(t, conf)
	withIP := writeConf(t, "brokerIP1=10.0.0.7\nlistenPort=10911\n")
	defaults := broker.Config{Listen: "127.0.0.1:9876", DataDir: defaultDataDir()}
	fromFile := broker.Config{
		Listen: "127.0.0.1:10911", DataDir: "/var/lib/rocketmq", FlushDiskType: broker.SyncFlush,
		ClusterName: "ProdCluster", BrokerName: "broker-b",
	}
	tests := []struct {
		name    string
		args    []string
		want    broker.Config
		origin  map[string]string // entries that must be in the origin map
		wantErr string
		logs    []string // substrings of the log
		noLogs  []string // substrings the log must not hold
	}{
		{
			name: "flag defaults",
			want: defaults,
		},
		{
			name:   "flags only",
			args:   []string{"--listen", "0.0.0.0:9876", "--data", "/srv/rk", "--flush", "SYNC_FLUSH"},
			want:   broker.Config{Listen: "0.0.0.0:9876", DataDir: "/srv/rk", FlushDiskType: broker.SyncFlush},
			origin: map[string]string{"listen": "--listen", "data-dir": "--data", "flush-disk-type": "--flush"},
		},
		{
			name: "the file overrides the flag defaults",
			args: []string{"-c", path},
			want: fromFile,
			origin: map[string]string{
				"listen": path + ":5 listenPort", "data-dir": path + ":6 storePathRootDir",
				"flush-disk-type": path + ":7 flushDiskType", "broker-name": path + ":3 brokerName",
			},
			logs: []string{
				`level=WARN msg="unknown broker.conf key, not applied" file=` + path + ` line=8 key=brokerNmae hint="did you mean brokerName?"`,
				`level=INFO msg="broker.conf key has no effect here" file=` + path + ` line=4 key=enableDLegerCommitLog reason="DLedger and controller mode are not supported (master/slave replication is: brokerRole, haListenPort)"`,
			},
		},
		{
			name: "explicit flags override the file",
			args: []string{"-c", path, "--listen", "127.0.0.1:9876", "--data", "/srv/rk", "--flush", "ASYNC_FLUSH"},
			want: broker.Config{
				Listen: "127.0.0.1:9876", DataDir: "/srv/rk", FlushDiskType: broker.AsyncFlush,
				ClusterName: "ProdCluster", BrokerName: "broker-b",
			},
			origin: map[string]string{"listen": "--listen", "data-dir": "--data", "flush-disk-type": "--flush", "cluster-name": path + ":2 brokerClusterName"},
		},
		{
			name:   "--log-level warn hides the ignored keys",
			args:   []string{"-c", path, "--log-level", "warn"},
			want:   fromFile,
			logs:   []string{"level=WARN", "key=brokerNmae"},
			noLogs: []string{"key=enableDLegerCommitLog"},
		},
		{
			name:   "brokerIP1 from the file",
			args:   []string{"-c", withIP},
			want:   broker.Config{Listen: "10.0.0.7:10911", AdvertisedAddr: "10.0.0.7:10911", DataDir: defaultDataDir()},
			origin: map[string]string{"listen": withIP + ":2 listenPort", "advertised-addr": withIP + ":1 brokerIP1"},
		},
		{
			name: "--listen keeps advertising the file's brokerIP1",
			args: []string{"-c", withIP, "--listen", "0.0.0.0:9876"},
			want: broker.Config{Listen: "0.0.0.0:9876", AdvertisedAddr: "10.0.0.7:9876", DataDir: defaultDataDir()},
		},
		{
			name: "--listen on a random port of brokerIP1",
			args: []string{"-c", withIP, "--listen", "10.0.0.7:0"},
			want: broker.Config{Listen: "10.0.0.7:0", DataDir: defaultDataDir()},
		},
		{
			name:    "--listen on a random port elsewhere cannot advertise brokerIP1",
			args:    []string{"-c", withIP, "--listen", "0.0.0.0:0"},
			wantErr: "--listen 0.0.0.0:0 with brokerIP1 from " + withIP + ": 10.0.0.7 cannot be advertised on a random port",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := parseBrokerFlags(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.Level(f.logLevel)}))
			cfg, origin, err := f.config(log)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The broker.conf read is where UPDATE_BROKER_CONFIG writes back.
			if i := slices.Index(tt.args, "-c"); i >= 0 && cfg.BrokerConfigPath != tt.args[i+1] {
				t.Errorf("BrokerConfigPath = %q, want the -c file %s", cfg.BrokerConfigPath, tt.args[i+1])
			} else if i < 0 && cfg.BrokerConfigPath != "" {
				t.Errorf("BrokerConfigPath = %q without -c", cfg.BrokerConfigPath)
			}
			cfg.BrokerConfigPath = ""
			if cfg != tt.want {
				t.Errorf("config:\n got %+v\nwant %+v", cfg, tt.want)
			}
			for k, v := range tt.origin {
				if origin[k] != v {
					t.Errorf("origin[%q] = %q, want %q", k, origin[k], v)
				}
			}
			for _, s := range tt.logs {
				if !strings.Contains(logs.String(), s) {
					t.Errorf("log lacks %q:\n%s", s, &logs)
				}
			}
			for _, s := range tt.noLogs {
				if strings.Contains(logs.String(), s) {
					t.Errorf("log holds %q:\n%s", s, &logs)
				}
			}
		})
	}
}

func TestValidateConfig(t *testing.T) {
	ok := broker.Config{Listen: defaultListen, DataDir: t.TempDir()}
	if err := validateConfig(ok, nil); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := broker.Config{Listen: "nonsense", DataDir: "", FlushDiskType: "LATER"}
	err := validateConfig(bad, map[string]string{"listen": "--listen", "flush-disk-type": "broker.conf:3 flushDiskType"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"broker config data-dir: is required\n",
		`broker config listen: "nonsense" is not host:port`,
		"(set by --listen)",
		`broker config flush-disk-type: "LATER" is neither ASYNC_FLUSH nor SYNC_FLUSH (set by broker.conf:3 flushDiskType)`,
	} {
		if !strings.Contains(err.Error()+"\n", want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestBrokerCommandStartsAndStops builds the binary, runs `rocketkit broker`
// on a free port, waits for its "listening on" line, connects, sends
// SIGTERM and expects exit status 0.
func TestBrokerCommandStartsAndStops(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rocketkit")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Env = clienttest.GoEnv() // the real HOME, for the build and module caches
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	data := t.TempDir()
	cmd := exec.Command(bin, "broker", "--listen", "127.0.0.1:0", "--data", data, "--log-level", "debug")
	var stderr clienttest.LockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
		close(first)
		exited <- cmd.Wait() // only after every read from the pipe is done
	}()
	var (
		waited  bool
		waitErr error
	)
	wait := func() error {
		if !waited {
			waitErr, waited = <-exited, true
		}
		return waitErr
	}
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = wait()
		}
	})

	var line string
	select {
	case l, ok := <-first:
		if !ok {
			err := wait()
			t.Fatalf("rocketkit broker exited (%v) before listening; stderr:\n%s", err, &stderr)
		}
		line = l
	case <-time.After(60 * time.Second):
		t.Fatalf("no \"listening on\" line after 60s; stderr so far:\n%s", &stderr)
	}
	addr, dir, ok := parseListening(line)
	if !ok || dir != data {
		t.Fatalf("stdout line = %q, want \"rocketkit broker listening on <addr> (data %s)\"", line, data)
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	conn.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	if err := wait(); err != nil {
		t.Fatalf("after SIGTERM: %v (want exit status 0; killed if still running after 30s); stderr:\n%s", err, &stderr)
	}
}

// parseListening splits "rocketkit broker listening on <addr> (data <dir>)".
func parseListening(line string) (addr, dir string, ok bool) {
	rest, ok := strings.CutPrefix(line, "rocketkit broker listening on ")
	if !ok {
		return "", "", false
	}
	addr, rest, ok = strings.Cut(rest, " (data ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	return addr, strings.TrimSuffix(rest, ")"), true
}

// The demo is the README's main job: it must run end to end and say so.
func TestDemoRunsEndToEnd(t *testing.T) {
	for _, which := range []string{"rocketkit", "official"} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"demo", "-orders", "25", "-client", which, "-data", t.TempDir()}, &out, &errOut)
		if code != exitOK {
			t.Fatalf("demo -client %s exit code %d\nstdout:\n%s\nstderr:\n%s", which, code, out.String(), errOut.String())
		}
		for _, want := range []string{"sent 50 messages", "client " + which, "received 50 of 50", "demo OK"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("demo -client %s output lacks %q:\n%s", which, want, out.String())
			}
		}
	}
}
