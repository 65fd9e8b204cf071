package netns

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tailLines is how many lines of a process's stdout and stderr a failed
// test logs.
const tailLines = 60

// Proc is a process started on a host by Net.Start. Its methods are safe
// for concurrent use.
type Proc struct {
	n      *Net
	host   string
	name   string
	cmd    *exec.Cmd
	stdout string // log file paths
	stderr string
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
}

// Start runs argv on host (`ip netns exec <namespace> argv...`) with env
// added to the test's environment, stdout and stderr going to files named
// after host and name in the test's temporary directory (Proc.Stdout,
// Proc.Stderr). When the test fails, the last lines of both are logged.
// The process is killed when the test ends, and by the kernel should the
// test binary die first.
func (n *Net) Start(host, name string, argv []string, env []string) *Proc {
	n.t.Helper()
	p, err := n.start(host, name, argv, env, nil)
	if err != nil {
		n.t.Fatalf("netns: %v", err)
	}
	return p
}

func (n *Net) start(host, name string, argv, env []string, extra []*os.File) (*Proc, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("start %s on %s: empty command", name, host)
	}
	h := n.host(host)
	stem := filepath.Join(n.dir, n.logName(host, name))
	p := &Proc{n: n, host: host, name: name, stdout: stem + ".stdout", stderr: stem + ".stderr", done: make(chan struct{})}
	outf, err := os.Create(p.stdout)
	if err != nil {
		return nil, err
	}
	defer outf.Close()
	errf, err := os.Create(p.stderr)
	if err != nil {
		return nil, err
	}
	defer errf.Close()
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", h.ns}, argv...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = outf, errf
	p.cmd.ExtraFiles = extra
	// ip execs argv in place, so the pid is argv's own, and the death
	// signal (kept across exec) reaches it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(errf, "--- netns: %s on %s (%s): %s\n", name, host, h.addr, strings.Join(argv, " "))
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s on %s: %w", name, host, err)
	}
	n.procs = append(n.procs, p)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name returns the name given to Start.
func (p *Proc) Name() string { return p.name }

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stdout returns the path of the file holding the process's stdout.
func (p *Proc) Stdout() string { return p.stdout }

// Stderr returns the path of the file holding the process's stderr.
func (p *Proc) Stderr() string { return p.stderr }

// Done is closed once the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns how it ended (nil for
// status 0, an *exec.ExitError otherwise). It may be called any number of
// times, from any goroutine.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// Kill sends SIGKILL and waits for the process to die. A process that had
// already exited is left as it was.
func (p *Proc) Kill() {
	p.n.t.Helper()
	if err := p.kill(10 * time.Second); err != nil {
		p.n.t.Fatalf("netns: %v", err)
	}
}

func (p *Proc) kill(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s still runs %v after SIGKILL", p, timeout)
	}
}

// Stop sends SIGTERM, waits up to timeout for the process to exit and
// returns how it ended, as Wait. A process still running after timeout is
// killed, and Stop fails the test.
func (p *Proc) Stop(timeout time.Duration) error {
	p.n.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.n.t.Fatalf("netns: stop %s: %v", p, err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
	}
	_ = p.kill(10 * time.Second)
	p.n.t.Fatalf("netns: %s did not exit within %v of SIGTERM; killed", p, timeout)
	return nil
}

// WaitOutput waits until a line of the process's stdout contains s and
// returns that line. It fails the test when the process exits first or
// timeout passes.
func (p *Proc) WaitOutput(s string, timeout time.Duration) string {
	p.n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := p.exited() // before reading: no line is missed
		if line, ok := findLine(p.stdout, s); ok {
			return line
		}
		if exited {
			p.n.t.Fatalf("netns: %s exited (%v) before printing %q\n%s", p, p.err, s, p.tails())
		}
		if time.Now().After(deadline) {
			p.n.t.Fatalf("netns: %s printed no %q within %v\n%s", p, s, timeout, p.tails())
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// String names the process for messages: "m1/broker (pid 123)".
func (p *Proc) String() string {
	return fmt.Sprintf("%s/%s (pid %d)", p.host, p.name, p.cmd.Process.Pid)
}

// logTails logs the ends of the process's stdout and stderr.
func (p *Proc) logTails() { p.n.t.Logf("netns: %s\n%s", p, p.tails()) }

func (p *Proc) tails() string {
	var b strings.Builder
	for _, f := range []struct{ what, path string }{{"stdout", p.stdout}, {"stderr", p.stderr}} {
		lines, skipped := tail(f.path, tailLines)
		fmt.Fprintf(&b, "--- %s %s", f.what, f.path)
		if skipped > 0 {
			fmt.Fprintf(&b, " (last %d lines)", len(lines))
		}
		b.WriteString(":\n")
		for _, l := range lines {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// findLine returns the first line of the file containing s.
func findLine(path, s string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	for line := range bytes.Lines(data) {
		if bytes.HasSuffix(line, []byte("\n")) && bytes.Contains(line, []byte(s)) {
			return string(bytes.TrimRight(line, "\n")), true
		}
	}
	return "", false
}

// tail returns the last n lines of the file and how many came before.
func tail(path string, n int) ([]string, int) {
	f, err := os.Open(path)
	if err != nil {
		return []string{err.Error()}, 0
	}
	defer f.Close()
	var lines []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		total++
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines, total - len(lines)
}

// killPid sends SIGKILL to pid.
func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
