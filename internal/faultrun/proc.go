package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a process the run started and kills: the broker, mariadbd or a
// relay. Its stdout and stderr go to its log file (appended across
// restarts); stdout lines are also offered on lines, for its ready line.
type child struct {
	name   string
	cmd    *exec.Cmd
	lines  chan string
	exited chan struct{} // closed once the process has exited
	err    error         // cmd.Wait's result, valid once exited is closed
	stdin  io.WriteCloser
}

// startChild starts bin with args, logging to logPath. extraEnv is added to
// the environment. The child is killed when this process dies (on Linux),
// and a child that reads its stdin sees it close then.
func startChild(name, logPath string, extraEnv []string, bin string, args ...string) (*child, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	c := &child{name: name, cmd: exec.Command(bin, args...), lines: make(chan string, 64), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), extraEnv...)
	c.cmd.Stderr = logf
	dieWithParent(c.cmd)
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		logf.Close()
		return nil, err
	}
	fmt.Fprintf(logf, "--- %s: %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			select {
			case c.lines <- sc.Text():
			default:
			}
		}
		c.err = c.cmd.Wait() // after every read from the pipe
		logf.Close()
		close(c.exited)
	}()
	return c, nil
}

// waitLine waits for a stdout line starting with prefix and returns it.
func (c *child) waitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		select {
		case line := <-c.lines:
			if strings.HasPrefix(line, prefix) {
				return line, nil
			}
		case <-c.exited:
			return "", fmt.Errorf("%s exited (%v) before printing %q", c.name, c.err, prefix)
		case <-deadline:
			return "", fmt.Errorf("%s printed no %q within %v", c.name, prefix, timeout)
		}
	}
}

// kill sends SIGKILL and waits for the process to die of it.
func (c *child) kill() error {
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", c.name, err)
	}
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		return fmt.Errorf("%s (pid %d) still running 20s after SIGKILL", c.name, c.cmd.Process.Pid)
	}
	var exit *exec.ExitError
	if errors.As(c.err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return nil
		}
	}
	return fmt.Errorf("%s had ended (%v) before it was killed", c.name, c.err)
}

// alive reports whether the process is still running.
func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// pid is the process id.
func (c *child) pid() int { return c.cmd.Process.Pid }
