package outbox

// Tests that kill mutants `task mutation` found alive (unexported parts).

import (
	"slices"
	"testing"
)

// A claim's rows are put in id order with cmpInt64 (rows taken over from
// an expired lease come first and may have higher ids than the pending
// rows after them); a comparator that is not a total order would leave
// them as they came.
func TestClaimRowsSortByID(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want int
	}{{1, 2, -1}, {2, 1, 1}, {7, 7, 0}, {-1 << 62, 1 << 62, -1}} {
		if got := cmpInt64(c.a, c.b); got != c.want {
			t.Errorf("cmpInt64(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	rows := []*row{{id: 9}, {id: 12}, {id: 3}, {id: 5}}
	slices.SortFunc(rows, func(a, b *row) int { return cmpInt64(a.id, b.id) })
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.id)
	}
	if !slices.Equal(ids, []int64{3, 5, 9, 12}) {
		t.Errorf("sorted ids %v, want [3 5 9 12]", ids)
	}
}
