package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// segmentNameLen is the length of a segment (and consume-queue, index)
// file name: the zero-padded decimal starting offset.
const segmentNameLen = 20

// segment is one commit-log file holding the bytes [base, base+size) of
// the log. A record never spans two segments.
type segment struct {
	base  int64
	path  string
	f     file
	users fileUsers // reads in flight; retention retires the segment
}

// fileUsers counts the readers of a file that retention may delete: a
// reader acquires before it reads and releases after; retire stops new
// acquisitions, and whoever sees the count reach zero on a retired file
// closes it. So a file is closed only after the last read of it ended,
// the way Java's ReferenceResource guards a MappedFile. The zero value is
// a live file without readers; n >= 0 is a live file with n readers, n < 0
// a retired one with -n-1 readers.
type fileUsers struct{ n atomic.Int64 }

// acquire reports whether the file may be read (it is not retired).
func (u *fileUsers) acquire() bool {
	for {
		n := u.n.Load()
		if n < 0 {
			return false
		}
		if u.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release ends a read. It reports whether the caller must close the file:
// the file was retired and this was its last reader.
func (u *fileUsers) release() bool {
	for {
		n := u.n.Load()
		m := n - 1
		if n < 0 {
			m = n + 1
		}
		if u.n.CompareAndSwap(n, m) {
			return n < 0 && m == -1
		}
	}
}

// retire refuses further readers. It reports whether the caller must close
// the file now (no read was in flight); otherwise the last release does.
func (u *fileUsers) retire() bool {
	for {
		n := u.n.Load()
		if n < 0 {
			return false
		}
		if u.n.CompareAndSwap(n, -1-n) {
			return n == 0
		}
	}
}

// segmentName formats a starting offset as a file name.
func segmentName(off int64) string { return fmt.Sprintf("%020d", off) }

// parseSegmentName returns the starting offset encoded in name, or false
// for any other file (such as *.broken or *.tmp).
func parseSegmentName(name string) (int64, bool) {
	if len(name) != segmentNameLen || strings.Trim(name, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(name, 10, 64)
	return n, err == nil && n >= 0
}

// listSegments returns the starting offsets of the numbered files in dir,
// ascending. A missing dir is empty.
func listSegments(fsys fileSystem, dir string) ([]int64, error) {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []int64
	for _, e := range ents {
		if off, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, off)
		}
	}
	slices.Sort(out)
	return out, nil
}

// openSegment opens (create: creates exclusively) the segment starting at
// base in dir.
func openSegment(fsys fileSystem, dir string, base int64, create bool) (*segment, error) {
	p := filepath.Join(dir, segmentName(base))
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE | os.O_EXCL
	}
	f, err := fsys.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	return &segment{base: base, path: p, f: f}, nil
}

// fileSize returns the size of f.
func fileSize(f file) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
