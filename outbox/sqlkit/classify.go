package sqlkit

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"time"
)

// MySQL and MariaDB error numbers the kit reacts to.
const (
	ErDupEntry            = 1062 // duplicate key
	ErLockWaitTimeout     = 1205 // lock wait timeout exceeded
	ErLockDeadlock        = 1213 // deadlock found, transaction rolled back
	ErDBAccessDenied      = 1044 // access denied to a database
	ErAccessDenied        = 1045 // access denied for a user
	ErTableAccessDenied   = 1142 // command denied on a table
	ErColumnAccessDenied  = 1143 // command denied on a column
	ErSpecificAccessDeny  = 1227 // needs a privilege such as SUPER
	ErNoSuchTable         = 1146 // table does not exist
	ErQueryInterrupted    = 1317 // query execution was interrupted
	ErLockAbortedDeadlock = 1614 // transaction branch rolled back: deadlock
)

// errText matches the "Error 1213" (go-sql-driver/mysql) or "Error: 1213"
// prefix drivers print for server errors.
var errText = regexp.MustCompile(`\bError:? (\d{4,5})\b`)

// ErrorNumber returns the server error number carried by err, if any. It
// walks err's tree (errors.Unwrap, including joined errors) and recognises
// a struct with an unsigned Number field (go-sql-driver/mysql's
// *MySQLError) or, failing that, an "Error NNNN" text.
func ErrorNumber(err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	var found int
	walk(err, func(e error) bool {
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return true
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct {
			if f := v.FieldByName("Number"); f.IsValid() {
				switch f.Kind() {
				case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
					found = int(f.Uint())
					return false
				}
			}
		}
		return true
	})
	if found != 0 {
		return found, true
	}
	if m := errText.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, true
	}
	return 0, false
}

// walk calls visit on err and every error it wraps until visit returns
// false.
func walk(err error, visit func(error) bool) bool {
	if err == nil {
		return true
	}
	if !visit(err) {
		return false
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !walk(e, visit) {
				return false
			}
		}
	}
	return true
}

// HasNumber reports whether err carries one of the server error numbers.
func HasNumber(err error, numbers ...int) bool {
	n, ok := ErrorNumber(err)
	if !ok {
		return false
	}
	for _, want := range numbers {
		if n == want {
			return true
		}
	}
	return false
}

// IsRetryable reports whether err is a deadlock or a lock wait timeout:
// the transaction (or statement) may simply be run again.
func IsRetryable(err error) bool {
	return HasNumber(err, ErLockDeadlock, ErLockWaitTimeout, ErLockAbortedDeadlock)
}

// IsDuplicateKey reports whether err is a duplicate-key error (1062).
func IsDuplicateKey(err error) bool { return HasNumber(err, ErDupEntry) }

// IsPrivilegeError reports whether err is an access-denied error.
func IsPrivilegeError(err error) bool {
	return HasNumber(err, ErDBAccessDenied, ErAccessDenied, ErTableAccessDenied, ErColumnAccessDenied, ErSpecificAccessDeny)
}

// IsClosed reports whether err says the *sql.DB was closed, which no retry
// can fix. database/sql does not export that error, so its text is
// matched.
func IsClosed(err error) bool {
	closed := false
	walk(err, func(e error) bool {
		if e.Error() == "sql: database is closed" {
			closed = true
			return false
		}
		return true
	})
	return closed
}

// Retry runs fn until it succeeds, returns an error IsRetryable rejects,
// or attempts runs out, sleeping with a doubling backoff starting at 5ms
// (capped at 500ms) between tries. Cancelling ctx stops the retries and
// returns the last error joined with ctx's.
func Retry(ctx context.Context, attempts int, fn func() error) error {
	backoff := 5 * time.Millisecond
	var err error
	for i := 0; i < max(attempts, 1); i++ {
		if err = fn(); err == nil || !IsRetryable(err) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
	return err
}
