package netns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// driverEnv names the driver a re-executed test binary runs.
const driverEnv = "ROCKETKIT_NETNS_DRIVER"

// The driver's end of its pipes: it reads the test's messages on fd 3 and
// writes its own on fd 4 (exec.Cmd.ExtraFiles 0 and 1).
const (
	driverIn  = 3
	driverOut = 4
)

// Message kinds the package itself sends.
const (
	kindInput  = "input"
	kindResult = "result"
	kindError  = "error"
)

// A DriverFunc is test code run on a host by Net.StartDriver. Its input
// arrives on c as a message of kind "input" (c.Recv(ctx, "input", &v));
// it may exchange other messages with the test, and its result goes back
// to Driver.Result. ctx is cancelled when the test closes its end of c
// (it gave up, or its process died) or the driver gets SIGTERM or SIGINT.
type DriverFunc func(ctx context.Context, c *Conn) (result any, err error)

// DriverMain runs the driver this process was started for, when
// Net.StartDriver started it, and exits; otherwise it returns at once.
// Call it first in TestMain, with every driver the package's tests start.
func DriverMain(drivers map[string]DriverFunc) {
	name, ok := os.LookupEnv(driverEnv)
	if !ok {
		return
	}
	os.Exit(runDriver(name, drivers))
}

func runDriver(name string, drivers map[string]DriverFunc) int {
	in, out := os.NewFile(driverIn, "from-test"), os.NewFile(driverOut, "to-test")
	f := drivers[name]
	if f == nil {
		var known []string
		for k := range drivers {
			known = append(known, k)
		}
		sort.Strings(known)
		fmt.Fprintf(os.Stderr, "netns: no driver %q in DriverMain (drivers: %s)\n", name, strings.Join(known, ", "))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	c := newConn(in, out, cancel) // the test closing its end cancels ctx
	res, err := f(ctx, c)
	if err != nil {
		_ = c.Send(kindError, err.Error())
		fmt.Fprintf(os.Stderr, "netns: driver %s: %v\n", name, err)
	} else {
		err = c.Send(kindResult, res)
	}
	_ = out.Close()
	if err != nil {
		return 1
	}
	return 0
}

// Driver is the test's side of a driver process: the process, and the
// connection to it.
type Driver struct {
	*Proc
	*Conn
}

// StartDriver re-executes the test binary on host to run the driver
// registered as driver in DriverMain, sends it input (JSON-encoded) as its
// "input" message, and returns the test's side of it. name names the
// process and its log files, as in Start. The driver's stdout and stderr
// go to its log files; its messages travel on their own pipes. It is
// killed when the test ends.
func (n *Net) StartDriver(host, name, driver string, input any) *Driver {
	n.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		n.t.Fatalf("netns: start driver %s: %v", name, err)
	}
	toDriver, driverIn, err := os.Pipe()
	if err != nil {
		n.t.Fatalf("netns: start driver %s: %v", name, err)
	}
	driverOutR, fromDriver, err := os.Pipe()
	if err != nil {
		n.t.Fatalf("netns: start driver %s: %v", name, err)
	}
	// -test.run=^$: a binary that does not call DriverMain runs no test.
	p, err := n.start(host, name, []string{exe, "-test.run=^$"}, []string{driverEnv + "=" + driver},
		[]*os.File{toDriver, fromDriver})
	toDriver.Close() // the driver's ends; it holds its own copies
	fromDriver.Close()
	if err != nil {
		driverIn.Close()
		driverOutR.Close()
		n.t.Fatalf("netns: %v", err)
	}
	// Only the driver holds the write end of its messages' pipe, so they
	// end (EOF) when it exits.
	d := &Driver{Proc: p, Conn: newConn(driverOutR, driverIn, nil)}
	n.t.Cleanup(func() { _ = d.Conn.Close() })
	if err := d.Send(kindInput, input); err != nil {
		n.t.Fatalf("netns: driver %s: send input: %v", name, err)
	}
	return d
}

// Result waits for the driver's result, decodes it into v (which may be
// nil), and waits for the process to exit. The error is the driver's own
// when it returned one, or says how the process ended without a result
// (with the tails of its output).
func (d *Driver) Result(ctx context.Context, v any) error {
	res, err := d.recvAny(ctx, kindResult, kindError)
	if err != nil {
		status := "still running"
		select {
		case <-d.Proc.done:
			status = fmt.Sprintf("exited: %v", d.Proc.err)
		case <-time.After(time.Second):
		}
		return fmt.Errorf("driver %s (%s): %w\n%s", d.Proc, status, err, d.tails())
	}
	if res.Kind == kindError {
		var msg string
		_ = json.Unmarshal(res.Value, &msg)
		return fmt.Errorf("driver %s: %s\n%s", d.Proc, msg, d.tails())
	}
	if v != nil {
		if err := json.Unmarshal(res.Value, v); err != nil {
			return fmt.Errorf("driver %s: decode result: %w", d.Proc, err)
		}
	}
	select {
	case <-d.Proc.done:
	case <-ctx.Done():
		return fmt.Errorf("driver %s sent its result but has not exited: %w", d.Proc, ctx.Err())
	}
	if d.Proc.err != nil {
		return fmt.Errorf("driver %s sent its result, then exited with %v\n%s", d.Proc, d.Proc.err, d.tails())
	}
	return nil
}

// envelope is one message on a Conn's pipe: a JSON object per line.
type envelope struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Conn carries JSON messages between a test and a driver, each with a
// kind. Messages of one kind arrive in the order they were sent; Recv
// takes the oldest message of the kind it asks for, whatever came between.
// Safe for concurrent use.
type Conn struct {
	w   io.WriteCloser
	wmu sync.Mutex
	enc *json.Encoder

	mu      sync.Mutex
	queues  map[string][]json.RawMessage
	err     error         // why no more messages come; set once
	changed chan struct{} // closed and replaced when queues or err change
}

// newConn reads messages from r until it fails, then calls onEOF.
func newConn(r io.ReadCloser, w io.WriteCloser, onEOF func()) *Conn {
	c := &Conn{w: w, enc: json.NewEncoder(w), queues: map[string][]json.RawMessage{}, changed: make(chan struct{})}
	go func() {
		defer r.Close()
		dec := json.NewDecoder(r)
		for {
			var e envelope
			if err := dec.Decode(&e); err != nil {
				if errors.Is(err, io.EOF) {
					err = errors.New("the other side closed the connection")
				}
				c.fail(err)
				if onEOF != nil {
					onEOF()
				}
				return
			}
			c.mu.Lock()
			c.queues[e.Kind] = append(c.queues[e.Kind], e.Value)
			c.signalLocked()
			c.mu.Unlock()
		}
	}()
	return c
}

// Lock should be held.
func (c *Conn) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// fail records why no more messages will come (the first reason wins).
func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		c.signalLocked()
	}
}

// Send sends v, JSON-encoded, as a message of kind.
func (c *Conn) Send(kind string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("netns: encode %s message: %w", kind, err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(envelope{Kind: kind, Value: raw}); err != nil {
		return fmt.Errorf("netns: send %s message: %w", kind, err)
	}
	return nil
}

// Recv waits for the next message of kind and decodes it into v (which
// may be nil). It fails when ctx ends first, or when no more messages can
// come (the other side closed its end or exited) and none of kind is left.
func (c *Conn) Recv(ctx context.Context, kind string, v any) error {
	e, err := c.recvAny(ctx, kind)
	if err != nil {
		return err
	}
	if v != nil && len(e.Value) > 0 {
		if err := json.Unmarshal(e.Value, v); err != nil {
			return fmt.Errorf("netns: decode %s message: %w", kind, err)
		}
	}
	return nil
}

// recvAny takes the next message of the first of kinds that has one.
func (c *Conn) recvAny(ctx context.Context, kinds ...string) (envelope, error) {
	for {
		c.mu.Lock()
		for _, k := range kinds {
			if q := c.queues[k]; len(q) > 0 {
				c.queues[k] = q[1:]
				c.mu.Unlock()
				return envelope{Kind: k, Value: q[0]}, nil
			}
		}
		err, changed := c.err, c.changed
		c.mu.Unlock()
		if err != nil {
			return envelope{}, fmt.Errorf("netns: waiting for a %s message: %w", strings.Join(kinds, " or "), err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return envelope{}, fmt.Errorf("netns: waiting for a %s message: %w", strings.Join(kinds, " or "), context.Cause(ctx))
		}
	}
}

// Close closes the sending side; the other side's ctx (a driver's) ends.
func (c *Conn) Close() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.Close()
}
