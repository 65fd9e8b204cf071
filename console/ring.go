package console

import (
	"sync"
	"time"
)

// point is one sample of a series: Unix milliseconds and a value.
type point struct {
	T int64   `json:"t"`
	V float64 `json:"v"`
}

// ring is a bounded series: the last len(buf) points, oldest dropped.
type ring struct {
	buf   []point
	start int // index of the oldest point
	n     int
	used  time.Time // last add, for evicting series no longer sampled
}

func (r *ring) add(p point) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = p
		r.n++
		return
	}
	r.buf[r.start] = p
	r.start = (r.start + 1) % len(r.buf)
}

// points returns a copy, oldest first.
func (r *ring) points() []point {
	out := make([]point, r.n)
	for i := range r.n {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}

// seriesStore holds the sampled series by name ("cluster:putTps",
// "topic:<name>", "group:<name>"), each a ring of at most points points,
// and at most maxSeries of them: adding a new series past that evicts the
// one updated least recently. Memory is bounded by points*maxSeries.
type seriesStore struct {
	mu        sync.Mutex
	points    int
	maxSeries int
	m         map[string]*ring
}

func newSeriesStore(points, maxSeries int) *seriesStore {
	return &seriesStore{points: max(points, 1), maxSeries: max(maxSeries, 1), m: map[string]*ring{}}
}

// add appends a point to series name.
func (s *seriesStore) add(name string, at time.Time, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.m[name]
	if r == nil {
		if len(s.m) >= s.maxSeries {
			s.evictOldest()
		}
		r = &ring{buf: make([]point, s.points)}
		s.m[name] = r
	}
	r.used = at
	r.add(point{T: at.UnixMilli(), V: v})
}

func (s *seriesStore) evictOldest() {
	var oldest string
	var at time.Time
	for name, r := range s.m {
		if oldest == "" || r.used.Before(at) {
			oldest, at = name, r.used
		}
	}
	delete(s.m, oldest)
}

// get returns series name's points, oldest first (empty when unknown).
func (s *seriesStore) get(name string) []point {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.m[name]; r != nil {
		return r.points()
	}
	return []point{}
}

// last returns series name's newest value.
func (s *seriesStore) last(name string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.m[name]; r != nil && r.n > 0 {
		return r.buf[(r.start+r.n-1)%len(r.buf)].V, true
	}
	return 0, false
}
