package client

import (
	"slices"
)

// allocateAveragely returns the queues member me takes among members,
// exactly as Java's AllocateMessageQueueAveragely (and the official Go
// client's AllocateByAveragely) computes it, so that a group mixing clients
// splits its queues without overlap or gap: queues sorted by topic, broker
// and id, member ids sorted as strings; with n queues and m members, member
// i (its index among the sorted ids) takes a contiguous range,
//
//	mod   = n % m
//	avg   = 1                if n <= m
//	        n/m + 1          if i < mod
//	        n/m              otherwise
//	start = i*avg            if i < mod
//	        i*avg + mod      otherwise
//	range = min(avg, n-start)
//
// A member not in members takes nothing. The inputs are not modified.
func allocateAveragely(queues []MessageQueue, members []string, me string) []MessageQueue {
	if len(queues) == 0 || len(members) == 0 {
		return nil
	}
	ids := slices.Clone(members)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	i := slices.Index(ids, me)
	if i < 0 {
		return nil
	}
	all := slices.Clone(queues)
	slices.SortFunc(all, compareQueues)
	all = slices.Compact(all)

	n, m := len(all), len(ids)
	mod := n % m
	avg := n / m
	switch {
	case n <= m:
		avg = 1
	case mod > 0 && i < mod:
		avg++
	}
	start := i*avg + mod
	if mod > 0 && i < mod {
		start = i * avg
	}
	count := min(avg, n-start)
	if count <= 0 {
		return nil
	}
	return all[start : start+count]
}
