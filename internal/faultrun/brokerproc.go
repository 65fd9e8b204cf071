package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// brokerConf is the broker.conf of the run: SYNC_FLUSH, so that SEND_OK
// means the message is on disk, and short delay levels, so that the
// inbox listener's retries (while MariaDB is down) come back within the
// run.
const brokerConf = `flushDiskType=SYNC_FLUSH
messageDelayLevel=100ms 200ms 300ms 500ms 500ms 1s 1s 1s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s
defaultTopicQueueNums=4
`

// brokerProc is `rocketkit broker` as a process of its own, restarted on
// the same data directory and port after each kill.
type brokerProc struct {
	bin, conf, data, logPath string
	addr                     string // 127.0.0.1:port, fixed for the run
	proc                     *child
}

// buildRocketkit builds cmd/rocketkit into dir.
func buildRocketkit(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "rocketkit")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rocketkit/rocketkit/cmd/rocketkit")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/rocketkit: %w\n%s", err, out)
	}
	return bin, nil
}

func newBrokerProc(bin, work string) (*brokerProc, error) {
	b := &brokerProc{bin: bin, conf: filepath.Join(work, "broker.conf"), data: filepath.Join(work, "broker"),
		logPath: filepath.Join(work, "broker.log")}
	if err := os.WriteFile(b.conf, []byte(brokerConf), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b.addr = fmt.Sprintf("127.0.0.1:%d", port)
	return b, nil
}

// start runs the broker and waits for its "listening on" line.
func (b *brokerProc) start() error {
	p, err := startChild("broker", b.logPath, nil, b.bin, "broker", "-c", b.conf, "--listen", b.addr, "--data", b.data, "--log-level", "info")
	if err != nil {
		return err
	}
	b.proc = p
	line, err := p.waitLine("rocketkit broker listening on ", 60*time.Second)
	if err != nil {
		return fmt.Errorf("%w; see %s", err, b.logPath)
	}
	if !strings.Contains(line, b.addr) {
		return fmt.Errorf("broker says %q, want it on %s", line, b.addr)
	}
	return nil
}

// syncFlush reports whether the broker's log says it runs SYNC_FLUSH.
func (b *brokerProc) syncFlush() bool {
	log, err := os.ReadFile(b.logPath)
	return err == nil && strings.Contains(string(log), "flush=SYNC_FLUSH")
}

// kill SIGKILLs the broker.
func (b *brokerProc) kill() error { return b.proc.kill() }

// freePort returns a loopback TCP port nobody listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
