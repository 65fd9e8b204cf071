package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// fault is one kind of fault: inject breaks a component and brings it (or
// its replacement) back, and describes what it did.
type fault struct {
	name   string
	inject func(rng *rand.Rand) (string, error)
}

// faults are the kinds of fault the run injects, each once per round at a
// random moment of the round; kinds overlap at random.
func (r *run) faults() []fault {
	return []fault{
		{"broker", r.killBroker},
		{"relay", r.killRelay},
		{"mariadb", r.killMariaDB},
		{"consumer", r.dropConsumer},
	}
}

// faultLoop injects f once per round, at a moment drawn from its own
// random stream (seeded from the run's seed and the kind), so that a seed
// replays the schedule whatever the other kinds do.
func (r *run) faultLoop(f fault, kind int) error {
	rng := rand.New(rand.NewPCG(r.seed, uint64(1000+kind)))
	for round := range r.rounds {
		begin := r.faultStart.Add(time.Duration(round) * r.roundLen)
		at := begin.Add(time.Duration((0.05 + 0.7*rng.Float64()) * float64(r.roundLen)))
		time.Sleep(time.Until(at)) // the schedule's moment
		struck, into := time.Since(r.began), time.Since(begin)
		desc, err := f.inject(rng)
		if err != nil {
			return fmt.Errorf("round %d, %s fault: %w", round+1, f.name, err)
		}
		r.count(f.name)
		r.logf("round %d, struck at t=%.1fs (%.1fs into the round): %s", round+1, struck.Seconds(), into.Seconds(), desc)
	}
	time.Sleep(time.Until(r.faultStart.Add(time.Duration(r.rounds) * r.roundLen))) // to the end of the last round
	return nil
}

// outage draws how long a killed component stays down.
func outage(rng *rand.Rand) time.Duration {
	return 300*time.Millisecond + time.Duration(rng.Int64N(int64(2200*time.Millisecond)))
}

// killBroker SIGKILLs the broker process and starts it again on the same
// data directory and port.
func (r *run) killBroker(rng *rand.Rand) (string, error) {
	pid := r.broker.proc.pid()
	if err := r.broker.kill(); err != nil {
		return "", err
	}
	down := outage(rng)
	time.Sleep(down) // the outage
	began := time.Now()
	if err := r.broker.start(); err != nil {
		return "", err
	}
	return fmt.Sprintf("broker: kill -9 (pid %d), down %v, restarted (pid %d) in %v",
		pid, down.Round(time.Millisecond), r.broker.proc.pid(), time.Since(began).Round(time.Millisecond)), nil
}

// killRelay SIGKILLs one of the relay processes and starts a new one.
func (r *run) killRelay(rng *rand.Rand) (string, error) {
	i := rng.IntN(len(r.relays))
	old := r.relays[i]
	if err := old.proc.kill(); err != nil {
		return "", err
	}
	gap := time.Duration(rng.Int64N(int64(time.Second)))
	time.Sleep(gap) // the outage
	began := time.Now()
	r.relaySeq++
	p, err := startRelay(fmt.Sprintf("relay-%d", r.relaySeq), r.work, r.db.dsn("faultrun"), r.broker.addr)
	if err != nil {
		return "", err
	}
	r.relays[i] = p
	return fmt.Sprintf("relay: kill -9 %s (pid %d), %s (pid %d) ready %v after a gap of %v",
		old.name, old.proc.pid(), p.name, p.proc.pid(), time.Since(began).Round(time.Millisecond), gap.Round(time.Millisecond)), nil
}

// killMariaDB SIGKILLs the private mariadbd and starts it again on the
// same data directory.
func (r *run) killMariaDB(rng *rand.Rand) (string, error) {
	pid := r.db.proc.pid()
	if err := r.db.kill(); err != nil {
		return "", err
	}
	down := outage(rng)
	time.Sleep(down) // the outage
	began := time.Now()
	if err := r.db.start(r.ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("mariadb: kill -9 (pid %d), down %v, answering again (pid %d) %v after restart",
		pid, down.Round(time.Millisecond), r.db.proc.pid(), time.Since(began).Round(time.Millisecond)), nil
}

// dropConsumer stops one consumer service instance and starts a new one in
// the same groups.
func (r *run) dropConsumer(rng *rand.Rand) (string, error) {
	i := rng.IntN(len(r.consumers))
	old := r.consumers[i]
	began := time.Now()
	stopErr := old.stop()
	stopped := time.Since(began)
	gap := time.Duration(rng.Int64N(int64(time.Second)))
	time.Sleep(gap) // the outage
	r.consumerSeq++
	began = time.Now()
	c, err := startConsumer(fmt.Sprintf("consumer-%d", r.consumerSeq), r.broker.addr, r.ledger, r.inbox, r.log)
	if err != nil {
		return "", err
	}
	r.consumers[i] = c
	note := ""
	if stopErr != nil {
		first, _, _ := strings.Cut(stopErr.Error(), "\n")
		note = fmt.Sprintf(" (stop: %s)", first)
	}
	return fmt.Sprintf("consumer: dropped %s in %v%s, %s started %v later in %v",
		old.name, stopped.Round(time.Millisecond), note, c.name, gap.Round(time.Millisecond), time.Since(began).Round(time.Millisecond)), nil
}
