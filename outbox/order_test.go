package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// publishLoad publishes seqs 1..perKey for every entity, in order per
// entity, from writers goroutines, plus keyless messages; each
// transaction holds one to three messages. It returns the total.
func publishLoad(t testing.TB, ctx context.Context, db *sql.DB, pub *outbox.Publisher, topic string, entities, perKey, keyless, writers int) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []string
			for e := w; e < entities; e += writers {
				mine = append(mine, fmt.Sprintf("entity-%d", e))
			}
			next := map[string]int{}
			free := keyless / writers
			if w == 0 {
				free += keyless % writers
			}
			for len(mine) > 0 || free > 0 {
				var msgs []outbox.Message
				for range 1 + rng.IntN(3) {
					if free > 0 && (len(mine) == 0 || rng.IntN(5) == 0) {
						free--
						msgs = append(msgs, outbox.Message{Destination: topic + ":free", Payload: payload{Entity: "", Seq: free}})
						continue
					}
					if len(mine) == 0 {
						break
					}
					i := rng.IntN(len(mine))
					e := mine[i]
					next[e]++
					msgs = append(msgs, outbox.Message{Destination: topic + ":keyed", ShardingKey: e, Keys: []string{e},
						Payload: payload{Entity: e, Seq: next[e]}})
					if next[e] == perKey {
						mine = slices.Delete(mine, i, i+1)
					}
				}
				if len(msgs) == 0 {
					continue
				}
				err := outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
					return pub.Publish(ctx, tx, msgs...)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
	return entities*perKey + keyless
}

// checkDelivery checks what the consumer saw: every message stored on the
// broker exactly once (by unique key), every entity in one queue, and
// within it in publish order. It returns the number of raw broker
// duplicates (messages stored twice) instead of failing on them when
// allowDups is set.
// With dupsBreakOrder, a duplicate (an older message sent again after a
// newer one of its key) is not an order violation.
func checkDelivery(t testing.TB, msgs []got, total int, want map[string]int, allowDups bool, dupsBreakOrder ...bool) (dups int) {
	t.Helper()
	type stored struct {
		queue  int
		offset int64
	}
	byKey := map[string]map[stored]got{}
	for _, m := range msgs {
		if m.Key == "" {
			t.Fatalf("message without %s: %+v", outbox.KeyProperty, m)
		}
		if byKey[m.Key] == nil {
			byKey[m.Key] = map[stored]got{}
		}
		byKey[m.Key][stored{m.Queue, m.Offset}] = m
	}
	if len(byKey) != total {
		t.Errorf("%d distinct messages delivered, want %d (lost %d)", len(byKey), total, total-len(byKey))
	}
	type entry struct {
		stored
		seq int
	}
	perEntity := map[string][]entry{}
	for key, copies := range byKey {
		if len(copies) > 1 {
			dups += len(copies) - 1
			if dups <= 3 && !(len(dupsBreakOrder) > 0 && dupsBreakOrder[0]) {
				for s, m := range copies {
					t.Logf("duplicate %s at %d/%d born %s stored %s", key, s.queue, s.offset,
						time.UnixMilli(m.Born).Format("15:04:05.000"), time.UnixMilli(m.Stored).Format("15:04:05.000"))
				}
			}
			if !allowDups {
				t.Errorf("message %s stored %d times on the broker", key, len(copies))
			}
		}
		for s, m := range copies {
			if m.Entity != "" {
				perEntity[m.Entity] = append(perEntity[m.Entity], entry{s, m.Seq})
			}
		}
	}
	if len(perEntity) != len(want) {
		t.Errorf("%d entities delivered, want %d", len(perEntity), len(want))
	}
	for e, list := range perEntity {
		sort.Slice(list, func(i, j int) bool { return list[i].offset < list[j].offset })
		queues := map[int]bool{}
		seqs := make([]int, 0, len(list))
		for _, x := range list {
			queues[x.queue] = true
			seqs = append(seqs, x.seq)
		}
		if len(queues) != 1 {
			t.Errorf("%s spread over queues %v", e, queues)
			continue
		}
		expect := make([]int, want[e])
		for i := range expect {
			expect[i] = i + 1
		}
		if len(dupsBreakOrder) > 0 && dupsBreakOrder[0] {
			seqs = firstSeen(seqs)
		}
		if !slices.Equal(slices.Compact(slices.Clone(seqs)), expect) || !slices.IsSorted(seqs) {
			t.Errorf("%s stored in order %v, want 1..%d", e, seqs, want[e])
		}
	}
	return dups
}

// Two relays (one on a *Producer of the kit's own client, one on a plain
// producer of the official client's backend) drain one table while writers
// publish: no message is sent twice and every key's messages are stored in
// order in one queue, so both backendtest.Backends pick a key's queue alike.
func TestTwoRelaysKeepPerKeyOrder(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_two")
	cfg := testConfig("outbox_two")
	cfg.Relay.BatchSize = 40
	cfg.Relay.MaxBatchMessages = 8
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	startConsumer(t, b, topic, rec, nil)

	plain, err := backendtest.Official(t, b).NewProducer(client.ProducerConfig{Group: uniqueName("pg"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	r1 := startRelay(t, db.DB, cfg, startProducer(t, b), outboxtest.KeyLookup(t, b.Addr()))
	r2 := startRelay(t, db.DB, cfg, plain, outboxtest.KeyLookup(t, b.Addr()))

	const entities, perKey, keyless = 24, 40, 100
	total := publishLoad(t, ctx, db.DB, pub, topic, entities, perKey, keyless, 4)
	waitBacklog(t, r1, 60*time.Second)
	msgs := rec.waitDistinct(t, total, 30*time.Second)
	quietWindow(300 * time.Millisecond) // no duplicate follows
	want := map[string]int{}
	for e := range entities {
		want[fmt.Sprintf("entity-%d", e)] = perKey
	}
	checkDelivery(t, rec.snapshot(), total, want, false)
	s1, s2 := r1.Stats(), r2.Stats()
	t.Logf("relay 1: %+v; relay 2: %+v; %d deliveries", s1, s2, len(msgs))
	if s1.Sent == 0 || s2.Sent == 0 {
		t.Errorf("one relay did all the work: %d and %d rows", s1.Sent, s2.Sent)
	}
	if s1.Sent+s2.Sent != int64(total) || s1.Found+s2.Found != 0 {
		t.Errorf("relays sent %d rows (found %d), want %d", s1.Sent+s2.Sent, s1.Found+s2.Found, total)
	}
}

// firstSeen keeps the first occurrence of every value.
func firstSeen(seqs []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range seqs {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
