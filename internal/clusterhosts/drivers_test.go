package clusterhosts_test

// The drivers: the suite's client code, run on the client host by
// netns.Net.StartDriver. The test and a driver talk in messages (see
// netns.Conn); the types below are their contents.

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/internal/netns"
)

var drivers = map[string]netns.DriverFunc{
	"topic":   topicDriver,
	"routes":  routesDriver,
	"load":    loadDriver,
	"consume": consumeDriver,
}

// topicInput asks the topic driver to create Topic with Queues queues on
// every master of Cluster, and to wait until every name server routes
// them all.
type topicInput struct {
	NameServers []string
	Topic       string
	Cluster     string
	Queues      int
	Brokers     []string // broker names that must be routed
}

func topicDriver(ctx context.Context, c *netns.Conn) (any, error) {
	var in topicInput
	if err := c.Recv(ctx, "input", &in); err != nil {
		return nil, err
	}
	adm, err := admin.New(admin.Config{NameServers: slices.Clone(in.NameServers)})
	if err != nil {
		return nil, err
	}
	if _, err := adm.UpdateTopic(ctx, admin.TopicSpec{Topic: in.Topic, ReadQueues: in.Queues,
		WriteQueues: in.Queues, Cluster: in.Cluster}); err != nil {
		return nil, err
	}
	for _, ns := range in.NameServers {
		one, err := admin.New(admin.Config{NameServers: []string{ns}})
		if err != nil {
			return nil, err
		}
		for {
			r, err := one.Route(ctx, in.Topic)
			queues := map[string]int{}
			for _, q := range r.Queues {
				queues[q.BrokerName] += q.WriteQueues
			}
			ok := err == nil
			for _, b := range in.Brokers {
				ok = ok && queues[b] == in.Queues
			}
			if ok {
				break
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("name server %s routes %s as %+v (%v)", ns, in.Topic, r, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil, nil
}

// routesDriver returns what each name server of its input (a topicInput)
// routes for the topic, as text, for failure messages.
func routesDriver(ctx context.Context, c *netns.Conn) (any, error) {
	var in topicInput
	if err := c.Recv(ctx, "input", &in); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ns := range in.NameServers {
		one, err := admin.New(admin.Config{NameServers: []string{ns}, Timeout: 2 * time.Second})
		if err != nil {
			return nil, err
		}
		r, err := one.Route(ctx, in.Topic)
		out[ns] = fmt.Sprintf("%+v (err %v)", r, err)
	}
	return out, nil
}

// loadInput starts the load driver: Senders goroutines sending Rate
// messages a second in all to Topic, each body Prefix-<sequence number>,
// until a "stop" message.
type loadInput struct {
	Client      string // kitClient or officialClient
	NameServers []string
	Topic       string
	Group       string
	Prefix      string
	Senders     int
	Rate        int
	SendTimeout time.Duration
	// Limit stops the load after this many sends (0: none, until "stop").
	Limit int64
}

// sendRecord is one send's outcome.
type sendRecord struct {
	Body   string
	Phase  string
	Status string        // statusOK, another status, or statusError
	Broker string        `json:",omitempty"`
	Err    string        `json:",omitempty"`
	At     time.Duration // since the load started, when the send returned
	Took   time.Duration // from the call to its return
}

// waitFor is a "wait" message: the driver answers "waited" once the
// current phase has at least Count sends of Status (statusOK when empty)
// answered by Broker (any broker when empty) and the latest Streak such
// sends in a row (of Broker's, when set) all had Status, or when Timeout
// passes first.
type waitFor struct {
	Count   int
	Status  string
	Broker  string
	Streak  int
	Timeout time.Duration
}

// waited answers a waitFor: whether it was met, and the phase's counts
// by "status@broker" (and "status@" over every broker).
type waited struct {
	Met    bool
	Counts map[string]int
}

// tally counts one phase's sends.
type tally struct {
	counts       map[string]int    // status@broker and status@
	streakStatus map[string]string // broker ("" any) -> status of its latest sends
	streak       map[string]int    // broker -> how many of its latest sends had it
}

func newTally() *tally {
	return &tally{counts: map[string]int{}, streakStatus: map[string]string{}, streak: map[string]int{}}
}

func (t *tally) add(r sendRecord) {
	for _, b := range []string{r.Broker, ""} {
		t.counts[r.Status+"@"+b]++
		if t.streakStatus[b] == r.Status {
			t.streak[b]++
		} else {
			t.streakStatus[b], t.streak[b] = r.Status, 1
		}
		if r.Broker == "" {
			break
		}
	}
}

func (t *tally) meets(w waitFor) bool {
	status := w.Status
	if status == "" {
		status = statusOK
	}
	if t.counts[status+"@"+w.Broker] < w.Count {
		return false
	}
	return w.Streak == 0 || (t.streakStatus[w.Broker] == status && t.streak[w.Broker] >= w.Streak)
}

// statusUnfinished marks a send still waiting for its answer stopWait
// after the load was told to stop: its outcome is unknown, as an error's.
const (
	statusUnfinished = "UNFINISHED"
	stopWait         = 5 * time.Second
)

// load is a running load driver's state.
type load struct {
	mu       sync.Mutex
	records  []sendRecord
	inFlight map[string]bool // bodies of sends not answered yet
	phase    string
	tally    *tally
	finished bool // no more records
}

func (l *load) begin(body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight[body] = true
}

func (l *load) record(r sendRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return
	}
	r.Phase = l.phase // the phase it was answered in
	delete(l.inFlight, r.Body)
	l.records = append(l.records, r)
	l.tally.add(r)
}

// finish returns the records, sends still unanswered included as
// statusUnfinished.
func (l *load) finish(at time.Duration) []sendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finished = true
	for body := range l.inFlight {
		l.records = append(l.records, sendRecord{Body: body, Phase: l.phase, Status: statusUnfinished, At: at})
	}
	return l.records
}

// loadDriver sends until told to stop and returns every sendRecord; the
// test steers it with "cmd" messages (command).
func loadDriver(ctx context.Context, c *netns.Conn) (any, error) {
	var in loadInput
	if err := c.Recv(ctx, "input", &in); err != nil {
		return nil, err
	}
	s, err := newSender(in.Client, in.NameServers, in.Group, in.SendTimeout)
	if err != nil {
		return nil, err
	}
	defer closeWithin(s, 3*time.Second)
	l := &load{phase: "start", tally: newTally(), inFlight: map[string]bool{}}
	start := time.Now()
	var stopping atomic.Bool
	var seq atomic.Int64
	tokens := make(chan struct{}, in.Senders)
	sendCtx, cancelSends := context.WithCancel(context.Background()) // not ctx: a stop lets sends finish
	defer cancelSends()
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(in.Rate))
		defer tick.Stop()
		defer close(tokens)
		for !stopping.Load() {
			select {
			case <-tick.C:
				select {
				case tokens <- struct{}{}:
				default: // the senders lag: the rate is a ceiling
				}
			case <-sendCtx.Done():
				return
			}
		}
	})
	for range in.Senders {
		wg.Go(func() {
			for range tokens {
				n := seq.Add(1)
				if in.Limit > 0 && n > in.Limit {
					continue // drain the tokens until stopped
				}
				body := fmt.Sprintf("%s-%07d", in.Prefix, n)
				l.begin(body)
				began := time.Now()
				status, broker, err := s.send(sendCtx, in.Topic, []byte(body))
				r := sendRecord{Body: body, Status: status, Broker: broker, At: time.Since(start), Took: time.Since(began)}
				if err != nil {
					r.Err = shortErr(err)
				}
				l.record(r)
			}
		})
	}
	stop := func() []sendRecord {
		stopping.Store(true)
		done := make(chan struct{})
		go func() {
			wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(stopWait):
		}
		return l.finish(time.Since(start))
	}
	for {
		var cmd command
		if err := c.Recv(ctx, "cmd", &cmd); err != nil {
			stop()
			return nil, err
		}
		switch cmd.Op {
		case "phase":
			l.mu.Lock()
			l.phase, l.tally = cmd.Phase, newTally()
			l.mu.Unlock()
			err = c.Send("phased", nil)
		case "wait":
			err = c.Send("waited", l.wait(ctx, cmd.Wait))
		case "stop":
			return stop(), nil
		default:
			err = fmt.Errorf("unknown command %q", cmd.Op)
		}
		if err != nil {
			stop()
			return nil, err
		}
	}
}

// closeWithin closes s, giving up after d: a producer may wait long on a
// name server whose host is cut off, and the process is about to exit
// anyway.
func closeWithin(s sender, d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		fmt.Fprintf(os.Stderr, "closing the producer took longer than %v; exiting without waiting\n", d)
	}
}

// command is a message of kind "cmd" to the load driver: Op "phase"
// counts later sends under Phase (answered "phased"), "wait" waits for
// Wait (answered "waited"), "stop" ends the load (its result).
type command struct {
	Op    string
	Phase string
	Wait  waitFor
}

// wait polls the phase's tally until it meets w or w.Timeout passes.
func (l *load) wait(ctx context.Context, w waitFor) waited {
	deadline := time.Now().Add(w.Timeout)
	for {
		l.mu.Lock()
		met := l.tally.meets(w)
		counts := maps.Clone(l.tally.counts)
		l.mu.Unlock()
		if met || time.Now().After(deadline) || ctx.Err() != nil {
			return waited{Met: met, Counts: counts}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// consumeInput starts the consume driver: a new group reading Topic from
// the first offset until every body it wants arrived and nothing more
// came for Quiet, or Timeout passed. The bodies wanted are Want, or, with
// WantLater, those of a "want" message ([]string) sent while it consumes.
type consumeInput struct {
	Client      string
	NameServers []string
	Topic       string
	Group       string
	Want        []string
	WantLater   bool
	Quiet       time.Duration
	Timeout     time.Duration
}

// consumed is the consume driver's result: how often each body arrived,
// and how many messages came from each broker's queues.
type consumed struct {
	Counts   map[string]int
	ByBroker map[string]int
	Missing  int
	Took     time.Duration
}

func consumeDriver(ctx context.Context, c *netns.Conn) (any, error) {
	var in consumeInput
	if err := c.Recv(ctx, "input", &in); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	res := consumed{Counts: map[string]int{}, ByBroker: map[string]int{}}
	last := time.Now()
	start := time.Now()
	stop, err := startReceiver(ctx, in.Client, in.NameServers, in.Topic, in.Group, func(body, broker string) {
		mu.Lock()
		defer mu.Unlock()
		res.Counts[body]++
		res.ByBroker[broker]++
		last = time.Now()
	})
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := c.Send("started", nil); err != nil {
		return nil, err
	}
	want := in.Want
	if in.WantLater {
		if err := c.Recv(ctx, "want", &want); err != nil {
			return nil, err
		}
	}
	missing := func() int {
		n := 0
		for _, b := range want {
			if res.Counts[b] == 0 {
				n++
			}
		}
		return n
	}
	deadline := time.After(in.Timeout)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-deadline:
			done = true
		case <-time.After(50 * time.Millisecond):
			mu.Lock()
			done = time.Since(last) >= in.Quiet && missing() == 0
			mu.Unlock()
		}
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	res.Missing, res.Took = missing(), time.Since(start)
	return res, nil
}
