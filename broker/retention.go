package broker

// Retention: the Config fields RocketMQ spells fileReservedTime, deleteWhen,
// diskMaxUsedSpaceRatio, ... turned into the store's cleaner settings
// (store.Retention; the cleaner itself runs in the store, as Java's
// CleanCommitLogService runs in DefaultMessageStore).

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// Retention defaults, RocketMQ's MessageStoreConfig.
const (
	defaultFileReservedTime  = store.DefaultReservedTime
	defaultDeleteWhen        = "04"
	defaultDiskMaxUsedRatio  = store.DefaultDiskMaxUsedRatio
	defaultCleanForciblyPct  = store.DefaultCleanForciblyRatio
	defaultWarningLevelPct   = store.DefaultWarningRatio
	defaultCleanInterval     = store.DefaultCleanInterval
	defaultDeleteFilesPause  = store.DefaultDeleteInterval
	defaultDeleteFileBatchMx = store.DefaultBatchMax
)

func (c *Config) setRetentionDefaults() {
	c.FileReservedTime = cmp.Or(c.FileReservedTime, defaultFileReservedTime)
	c.DeleteWhen = cmp.Or(c.DeleteWhen, defaultDeleteWhen)
	c.DiskMaxUsedSpaceRatio = cmp.Or(c.DiskMaxUsedSpaceRatio, defaultDiskMaxUsedRatio)
	c.DiskSpaceCleanForciblyRatio = cmp.Or(c.DiskSpaceCleanForciblyRatio, defaultCleanForciblyPct)
	c.DiskSpaceWarningLevelRatio = cmp.Or(c.DiskSpaceWarningLevelRatio, defaultWarningLevelPct)
	c.CleanResourceInterval = cmp.Or(c.CleanResourceInterval, defaultCleanInterval)
	c.DeleteCommitLogFilesInterval = cmp.Or(c.DeleteCommitLogFilesInterval, defaultDeleteFilesPause)
	c.DeleteFileBatchMax = cmp.Or(c.DeleteFileBatchMax, defaultDeleteFileBatchMx)
}

// validateRetention reports the retention fields out of range.
func (c *Config) validateRetention() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("broker config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := ParseDeleteWhen(c.DeleteWhen); err != nil {
		bad("delete-when", "%v", err)
	}
	for key, v := range map[string]int{
		"disk-max-used-space-ratio":       c.DiskMaxUsedSpaceRatio,
		"disk-space-clean-forcibly-ratio": c.DiskSpaceCleanForciblyRatio,
		"disk-space-warning-level-ratio":  c.DiskSpaceWarningLevelRatio,
	} {
		if v < 1 || v > 100 {
			bad(key, "%d is not a percentage (1-100)", v)
		}
	}
	if c.CleanResourceInterval < 0 {
		bad("clean-resource-interval", "%v must not be negative", c.CleanResourceInterval)
	}
	if c.DeleteFileBatchMax < 1 {
		bad("delete-file-batch-max", "%d must be at least 1", c.DeleteFileBatchMax)
	}
	return errs
}

// ParseDeleteWhen parses a deleteWhen value, hours of the day separated by
// ';' ("04", "00;01;02"), as Java's UtilAll.isItTimeToDo reads it.
func ParseDeleteWhen(s string) ([]int, error) {
	var hours []int
	for f := range strings.SplitSeq(s, ";") {
		h, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("%q: %q is not an hour of the day (0-23); write hours separated by ';', as \"04\" or \"00;01\"", s, f)
		}
		hours = append(hours, h)
	}
	return hours, nil
}

// storeRetention is the store's cleaner configuration. Defaults were
// applied and validated.
func (c *Config) storeRetention() store.Retention {
	hours, _ := ParseDeleteWhen(c.DeleteWhen)
	return store.Retention{
		ReservedTime:       c.FileReservedTime,
		DeleteHours:        hours,
		CleanInterval:      c.CleanResourceInterval,
		DeleteInterval:     c.DeleteCommitLogFilesInterval,
		BatchMax:           c.DeleteFileBatchMax,
		DiskMaxUsedRatio:   c.DiskMaxUsedSpaceRatio,
		CleanForciblyRatio: c.DiskSpaceCleanForciblyRatio,
		WarningRatio:       c.DiskSpaceWarningLevelRatio,
		NoForcedClean:      c.DisableForcedClean,
	}
}

// confSetHoursZeroNone parses a non-negative Java int of hours where 0
// means none (fileReservedTime=0: segments expire at once), stored as a
// negative duration since a zero field means the default.
func confSetHoursZeroNone(dst *time.Duration, v string) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a number of hours (0 or more)", v)
	}
	*dst = time.Duration(n) * time.Hour
	if n == 0 {
		*dst = -1
	}
	return nil
}

// confSetMillisZeroNone is confSetHoursZeroNone for milliseconds.
func confSetMillisZeroNone(dst *time.Duration, v string) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a number of milliseconds (0 or more)", v)
	}
	*dst = time.Duration(n) * time.Millisecond
	if n == 0 {
		*dst = -1
	}
	return nil
}
