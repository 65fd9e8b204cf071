package suggest

import "strings"

// Distance is the Levenshtein distance between a and b, counted in bytes,
// or limit when it is limit or more (limit <= 0: no limit).
func Distance(a, b string, limit int) int {
	if limit > 0 {
		if d := len(a) - len(b); d >= limit || -d >= limit {
			return limit
		}
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if limit > 0 && rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	if limit > 0 {
		return min(prev[len(b)], limit)
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to word, ignoring case, and its
// distance, among those closer than limit; ties go to the alphabetically
// first. It returns "" and limit when none is that close.
func Closest(word string, candidates []string, limit int) (string, int) {
	lower := strings.ToLower(word)
	best, bestDist := "", limit
	for _, c := range candidates {
		d := Distance(lower, strings.ToLower(c), limit)
		if d < bestDist || (d == bestDist && d < limit && c < best) {
			best, bestDist = c, d
		}
	}
	return best, bestDist
}
