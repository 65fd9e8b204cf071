package outbox

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// matchIDsWhere evaluates a condition built by idsWhere for one id.
func matchIDsWhere(t *testing.T, where string, args []any, id int64) bool {
	t.Helper()
	if where == "FALSE" {
		return false
	}
	where = strings.TrimSuffix(strings.TrimPrefix(where, "("), ")")
	a := 0
	next := func() int64 { v := args[a].(int64); a++; return v }
	hit := false
	for _, term := range strings.Split(where, " OR ") {
		switch {
		case term == "id BETWEEN ? AND ?":
			lo, hi := next(), next()
			if lo >= hi || hi-lo < 2 {
				t.Fatalf("range [%d, %d] should be points", lo, hi)
			}
			if id >= lo && id <= hi {
				hit = true
			}
		case strings.HasPrefix(term, "id IN ("):
			for range strings.Count(term, "?") {
				if next() == id {
					hit = true
				}
			}
		default:
			t.Fatalf("unexpected term %q in %q", term, where)
		}
	}
	if a != len(args) {
		t.Fatalf("%d args, %d used: %q", len(args), a, where)
	}
	return hit
}

// idsWhere matches exactly the listed ids, however they are spread.
func TestIDsWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := [][]int64{nil, {7}, {7, 8}, {7, 8, 9}, {9, 7, 8, 8}, {1, 2, 3, 5, 6, 7, 8, 10, 12, 13}}
	for range 200 {
		var ids []int64
		for id := int64(1); id < 200; id++ {
			if rng.IntN(10) < 7 {
				ids = append(ids, id)
			}
		}
		cases = append(cases, ids)
	}
	for _, ids := range cases {
		where, args := idsWhere(ids)
		for id := int64(0); id <= 201; id++ {
			if got, want := matchIDsWhere(t, where, args, id), slices.Contains(ids, id); got != want {
				t.Fatalf("ids %v: %q %v matches %d: %v, want %v", ids, where, args, id, got, want)
			}
		}
	}
	if where, args := idsWhere([]int64{1, 2, 3, 4, 5}); where != "(id BETWEEN ? AND ?)" || len(args) != 2 {
		t.Fatalf("a run: %q %v", where, args)
	}
}
