package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/broker/store"
)

// configFile is one of the broker's JSON metadata files under
// DataDir/config: topics.json, consumerOffset.json, delayOffset.json and
// timer.json. Its owner calls markDirty after changing the data the file
// holds (after, not before: a change made between persist's snapshot and
// markDirty is written by the next persist); persist writes a fresh
// snapshot atomically when the data changed, and marks the file dirty again
// when the write fails, so the next round retries.
type configFile struct {
	path   string
	what   string // names the contents in errors: "consumer offsets"
	indent bool   // write indented JSON (topics.json is read by people)

	dirty     atomic.Bool
	persistMu sync.Mutex // serialises writes: they share the temporary file
}

func newConfigFile(dataDir, name, what string) *configFile {
	return &configFile{path: filepath.Join(dataDir, "config", name), what: what}
}

// markDirty records that the data changed since the last write.
func (f *configFile) markDirty() { f.dirty.Store(true) }

// load decodes the file into v. found is false (and v untouched) when the
// file does not exist yet.
func (f *configFile) load(v any) (found bool, err error) {
	data, err := store.ReadFileAtomic(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("broker: read %s: %w", f.what, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("broker: parse %s: %w", f.path, err)
	}
	return true, nil
}

// persist writes snapshot() if the data changed since the last write.
// snapshot takes the owner's lock itself and returns a value that no longer
// shares memory with the live data.
func (f *configFile) persist(snapshot func() any) error {
	f.persistMu.Lock()
	defer f.persistMu.Unlock()
	if !f.dirty.Swap(false) {
		return nil
	}
	v := snapshot()
	var data []byte
	var err error
	if f.indent {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(f.path), 0o755)
	}
	if err == nil {
		err = store.WriteFileAtomic(f.path, data)
	}
	if err != nil {
		f.markDirty()
		return fmt.Errorf("broker: persist %s: %w", f.what, err)
	}
	return nil
}
