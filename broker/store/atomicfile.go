package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data so that after a crash the file
// holds either the old or the new content, never a mix: it writes
// path+".tmp", fsyncs it, renames it over path and fsyncs the directory.
// Use it for the broker's metadata files (topics, consumer offsets).
// Writers of one path must be serialised by the caller (they share the
// temporary file).
func WriteFileAtomic(path string, data []byte) error {
	return writeFileAtomic(osFS{}, path, data)
}

// ReadFileAtomic reads a file written by WriteFileAtomic. A path+".tmp"
// left by a write interrupted by a crash is ignored: the rename is the
// commit point, and the next WriteFileAtomic replaces it. A missing file
// returns an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadFileAtomic(path string) ([]byte, error) {
	return os.ReadFile(path)
}

func writeFileAtomic(fsys fileSystem, path string, data []byte) (err error) {
	tmp := path + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = fsys.Remove(tmp)
		}
	}()
	if _, err := f.WriteAt(data, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("sync directory of %s: %w", path, err)
	}
	return nil
}
