package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segmentNameLen is the length of a segment (and consume-queue, index)
// file name: the zero-padded decimal starting offset.
const segmentNameLen = 20

// segment is one commit-log file holding the bytes [base, base+size) of
// the log. A record never spans two segments.
type segment struct {
	base int64
	path string
	f    file
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
