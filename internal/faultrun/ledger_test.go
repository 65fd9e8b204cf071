package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The order check: redeliveries of earlier seqs anywhere are fine; a first
// delivery that skips a seq is a violation, and a skipped acknowledged seq
// is lost.
func TestLedgerOrder(t *testing.T) {
	tests := []struct {
		name       string
		acked      int   // seqs 1..acked acknowledged for key k
		deliveries []int // seqs of k in commit order
		violations int
		lost       []string
	}{
		{name: "in order", acked: 3, deliveries: []int{1, 2, 3}},
		{name: "redeliveries after a rebalance", acked: 4, deliveries: []int{1, 2, 3, 2, 3, 1, 4, 4}},
		{name: "unacknowledged next seq delivered", acked: 2, deliveries: []int{1, 2, 3}},
		{name: "a seq skipped", acked: 3, deliveries: []int{1, 3}, violations: 1, lost: []string{"k/2"}},
		{name: "later seq first, earlier after", acked: 3, deliveries: []int{2, 1, 3}, violations: 1},
		{name: "tail not delivered", acked: 4, deliveries: []int{1, 2}, lost: []string{"k/3", "k/4"}},
		{name: "beyond what was sent", acked: 1, deliveries: []int{1, 2, 3}, violations: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger()
			for seq := 1; seq <= tt.acked; seq++ {
				l.sentOrderly("k", seq, true)
			}
			if tt.name == "unacknowledged next seq delivered" {
				l.sentOrderly("k", 3, false)
			}
			for _, seq := range tt.deliveries {
				l.deliverOrderly("k", seq, "test")
			}
			f := l.templateCheck()
			if len(f.Violations) != tt.violations {
				t.Errorf("violations %q, want %d", f.Violations, tt.violations)
			}
			if !slices.Equal(f.OrderLost, tt.lost) {
				t.Errorf("lost %q, want %q", f.OrderLost, tt.lost)
			}
		})
	}
}

// An acknowledged send never delivered is lost; unacknowledged ones are
// not, and repeated deliveries count as duplicates.
func TestLedgerConcurrent(t *testing.T) {
	l := newLedger()
	l.sent("a", true)
	l.sent("b", true)
	l.sent("c", false)
	l.sent("d", false)
	l.deliver("a")
	l.deliver("a")
	l.deliver("c")
	f := l.templateCheck()
	if !slices.Equal(f.Lost, []string{"b"}) {
		t.Errorf("lost %q, want [b]", f.Lost)
	}
	if f.Deliveries-f.Distinct != 1 || f.NotAckedDelivered != 1 {
		t.Errorf("duplicates %d, not acknowledged but delivered %d; want 1 and 1", f.Deliveries-f.Distinct, f.NotAckedDelivered)
	}
	if l.templateComplete() {
		t.Error("complete with b missing")
	}
	l.deliver("b")
	if !l.templateComplete() {
		t.Error("not complete with everything delivered")
	}
}

// A producer that acknowledges a seq out of turn is flagged too.
func TestLedgerProducerOrder(t *testing.T) {
	l := newLedger()
	l.sentOrderly("k", 1, true)
	l.sentOrderly("k", 3, true)
	if f := l.templateCheck(); len(f.Violations) != 1 || !strings.Contains(f.Violations[0], "acknowledged seq 3 after 1") {
		t.Errorf("violations %q", f.Violations)
	}
}

// Injected failures hit the same messages every run, each once.
func TestFailFirst(t *testing.T) {
	l := newLedger()
	var chosen []string
	for i := range 10 * failEvery {
		id := "m" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		if l.failFirst(id) {
			chosen = append(chosen, id)
			if l.failFirst(id) {
				t.Fatalf("%s failed twice", id)
			}
		}
	}
	if len(chosen) == 0 || len(chosen) > 40 {
		t.Fatalf("%d of %d chosen, want about 10", len(chosen), 10*failEvery)
	}
	again := newLedger()
	for _, id := range chosen {
		if !again.failFirst(id) {
			t.Errorf("%s not chosen the second time", id)
		}
	}
}

// Outbox outcomes: only transactions whose commit returned nil count as
// committed; a failed commit is unknown.
func TestLedgerWrote(t *testing.T) {
	l := newLedger()
	l.wrote([]int64{1, 2}, nil, nil)
	l.wrote([]int64{3}, errors.New("commit: reset"), nil)
	l.wrote([]int64{4}, nil, errors.New("insert: gone"))
	committed, unknown, failed, _, _, _ := l.outboxCounts()
	if len(committed) != 2 || !committed[1] || !committed[2] || unknown != 1 || failed != 1 {
		t.Errorf("committed %v, unknown %d, failed %d", committed, unknown, failed)
	}
}

// A missing MariaDB binary fails the run with how to install it.
func TestMissingBinarySaysHowToInstall(t *testing.T) {
	_, err := findBinary("no-such-mariadbd-faultrun", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "apt-get install mariadb-server") {
		t.Errorf("error %v, want one saying how to install MariaDB", err)
	}
}
